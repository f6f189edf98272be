// The alarm feature on the gateway bus: evaluates the rules over each stored batch and on node state changes, stores
// raised and cleared alarms, publishes them on mg/v1/<site>/_gw/alarm (QoS 1, not retained) and emits "alarm".
import type { Db } from "../storage/db";
import { gatewayTopic, Publish } from "../broker/publisher";
import { EventBus, GatewayFeature, Subscriptions } from "../events";
import { AlarmsConfig, SiteAlarmsConfig, Severity, siteAlarms } from "./config";
import { batchFrames, channelNamesOf, framesOfWritten, type ChannelNames } from "./frames";
import type { WrittenBatch } from "../storage/store";
import { NodeAlarms, Transition } from "./rules";
import { AlarmRow, clearAlarm, insertAlarm, listAlarms } from "./store";

/** An alarm raised, cleared or acknowledged: on the bus as "alarm" and, as JSON, on the site's _gw/alarm topic. */
export interface AlarmEvent {
  id: number;
  site: string;
  node: string;
  rule: string;
  severity: Severity;
  state: "raised" | "cleared" | "acked";
  ts: number;
  message: string;
  value: number | null;
  acked_by?: string;
}

declare module "../events" {
  interface GatewayEvents {
    alarm: AlarmEvent;
  }
}

export interface AlarmServiceOptions {
  db: Db;
  bus: EventBus;
  publish?: Publish;
  config: AlarmsConfig;
  now?: () => number;
  /** How often offline nodes are checked against node_offline.raise_after_s, ms. */
  tick_ms?: number;
}

export function alarmEventOf(row: AlarmRow, state: AlarmEvent["state"], ts: number): AlarmEvent {
  const e: AlarmEvent = { id: row.id, site: row.site, node: row.node, rule: row.rule, severity: row.severity, state, ts, message: row.message, value: row.value };
  if (state === "acked" && row.acked_by) e.acked_by = row.acked_by;
  return e;
}

export class AlarmService implements GatewayFeature {
  private readonly subs = new Subscriptions();
  private nodes: { [siteNode: string]: NodeAlarms } = {};
  private siteCfg: { [site: string]: SiteAlarmsConfig } = {};
  /** Each node's channels by id, for the frames of what ingest wrote (dropped at the node's next birth). */
  private readonly names = new Map<string, ChannelNames>();
  private timer: NodeJS.Timeout | undefined;
  /** Publishes that failed (the broker was down); the alarm is still stored and on the bus. */
  publishFailures = 0;

  constructor(private readonly o: AlarmServiceOptions) {}

  start(): void {
    if (!this.o.config.enabled) return;
    this.nodes = {};
    for (const a of listAlarms(this.o.db, { active: true, limit: 100000 })) this.node(a.site, a.node, [a.rule]);
    this.subs.on(this.o.bus, "batch.stored", (e) => this.onBatch(e.site, e.node, e.boot, e.seq, e.written));
    // a birth may bring another channel table
    this.subs.on(this.o.bus, "node.birth", (e) => this.names.delete(e.site + "\u0000" + e.node));
    this.subs.on(this.o.bus, "node.state", (e) => this.apply(e.site, e.node, this.node(e.site, e.node).nodeState(this.now(), e.online, this.cfg(e.site))));
    this.subs.on(this.o.bus, "alarm", (e) => {
      if (e.state === "acked") this.send(e);
    });
    this.timer = setInterval(() => this.tick(), this.o.tick_ms ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    this.subs.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Evaluate the rules over a stored batch (also called directly by tests and replays): over the samples it wrote
   * when ingest gives them, else as read back from the store.
   */
  onBatch(site: string, node: string, boot: number, seq: number, written?: WrittenBatch): Transition[] {
    const n = this.node(site, node);
    const cfg = this.cfg(site);
    const all: Transition[] = [];
    const frames = written ? framesOfWritten(written, this.namesOf(site, node)) : batchFrames(this.o.db, site, node, boot, seq);
    for (const f of frames) all.push(...n.evaluate(f, cfg));
    this.apply(site, node, all);
    return all;
  }

  /** Check offline nodes whose alarm waits for its delay. */
  tick(): void {
    const now = this.now();
    for (const [k, n] of Object.entries(this.nodes)) {
      if (!n.offlinePending()) continue;
      const [site, node] = k.split("\u0000");
      this.apply(site, node, n.tick(now, this.cfg(site)));
    }
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  private node(site: string, node: string, active: string[] = []): NodeAlarms {
    const k = site + "\u0000" + node;
    const n = this.nodes[k];
    if (n) {
      for (const r of active) n.st[r] = { active: true, since: -1, last: -Infinity };
      return n;
    }
    return (this.nodes[k] = new NodeAlarms(active));
  }

  private namesOf(site: string, node: string): ChannelNames {
    const k = site + "\u0000" + node;
    let names = this.names.get(k);
    if (!names) this.names.set(k, (names = channelNamesOf(this.o.db, site, node)));
    return names;
  }

  private cfg(site: string): SiteAlarmsConfig {
    return this.siteCfg[site] ?? (this.siteCfg[site] = siteAlarms(this.o.config, site));
  }

  private apply(site: string, node: string, ts: Transition[]): void {
    for (const t of ts) {
      let row: AlarmRow | undefined;
      if (t.kind === "raised") row = insertAlarm(this.o.db, { site, node, rule: t.rule, severity: t.severity, raised_at: t.ts, message: t.message, value: t.value });
      else row = clearAlarm(this.o.db, site, node, t.rule, t.ts);
      if (!row) continue;
      const e = alarmEventOf(row, t.kind, t.ts);
      if (t.kind === "cleared") {
        e.message = t.message;
        e.value = t.value;
      }
      this.o.bus.emit("alarm", e);
      this.send(e);
    }
  }

  private send(e: AlarmEvent): void {
    if (!this.o.publish) return;
    try {
      const p = this.o.publish(gatewayTopic(e.site, "alarm"), JSON.stringify(e), { qos: 1, retain: false });
      if (p) p.catch(() => this.publishFailures++);
    } catch {
      this.publishFailures++;
    }
  }
}

// Liveness: which nodes are online (their `state`, their will, and silence), whether their data is stale, and the
// wall-clock time the gateway sends them. A node is taken offline after 3 report intervals without any message;
// its data is stale after 2 report intervals without a stored batch. The report interval is what its last live batch
// covered (rows x interval), or liveness.defaultIntervalS before the first one.
// Time: a `cmd` {id, c: "time", x: expiry, a: {t: unix s}} goes to a node on its birth when clk is 0, and to every
// online node every liveness.timeSyncS.
import { randomUUID } from "node:crypto";
import type { CommandPayload } from "../../firmware/protocol/messages";
import { nodeTopic } from "../../firmware/protocol/topics";
import type { Publisher } from "../broker/publisher";
import type { GatewayConfig } from "../config/load";
import { EventBus, GatewayFeature, Subscriptions } from "../events";
import type { GatewayCounters } from "../ingest/counters";
import type { Store } from "../storage/store";

/** A time command expires after this long (s): a node ignores an expired command. */
export const timeCommandTtlS = 60;

interface Seen {
  lastSeen: number;
  lastBatch: number;
  intervalS: number;
  online: boolean;
  stale: boolean;
}

export class Liveness implements GatewayFeature {
  private readonly subs = new Subscriptions();
  private readonly seen = new Map<string, Seen>();
  private checkTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly publisher: Publisher,
    private readonly counters: GatewayCounters,
    private readonly config: GatewayConfig["liveness"],
    private readonly now: (node?: string) => number = Date.now,
  ) {}

  start(): void {
    const now = this.now();
    for (const n of this.store.listNodes())
      this.seen.set(n.site + "/" + n.node, {
        lastSeen: n.last_seen ?? now,
        lastBatch: n.last_seen ?? now,
        intervalS: n.interval_s ?? this.config.defaultIntervalS,
        online: n.online === 1,
        stale: n.stale === 1,
      });
    this.subs.on(this.bus, "node.birth", (e) => {
      this.entry(e.site, e.node).online = true; // ingest announces this one ("birth")
      this.touch(e.site, e.node, false);
      if (e.birth.clk !== 1) void this.sendTime(e.site, e.node);
    });
    this.subs.on(this.bus, "batch.stored", (e) => this.touch(e.site, e.node, true));
    this.subs.on(this.bus, "node.event", (e) => this.touch(e.site, e.node, false));
    this.subs.on(this.bus, "node.ack", (e) => this.touch(e.site, e.node, false));
    this.subs.on(this.bus, "node.state", (e) => {
      const s = this.entry(e.site, e.node);
      s.online = e.online;
      if (e.online) s.lastSeen = this.now();
    });
    this.counters.gauges.nodesOnline = () => {
      let n = 0;
      for (const s of this.seen.values()) if (s.online) n++;
      return n;
    };
    this.checkTimer = setInterval(() => this.check(), this.config.checkMs);
    this.syncTimer = setInterval(() => this.syncAll(), this.config.timeSyncS * 1000);
    this.checkTimer.unref();
    this.syncTimer.unref();
  }

  stop(): void {
    this.subs.clear();
    clearInterval(this.checkTimer);
    clearInterval(this.syncTimer);
    this.checkTimer = this.syncTimer = undefined;
  }

  private entry(site: string, node: string): Seen {
    const key = site + "/" + node;
    let s = this.seen.get(key);
    if (!s) {
      const now = this.now();
      s = { lastSeen: now, lastBatch: now, intervalS: this.config.defaultIntervalS, online: false, stale: false };
      this.seen.set(key, s);
    }
    return s;
  }

  private touch(site: string, node: string, batch: boolean): void {
    const s = this.entry(site, node);
    const now = this.now();
    s.lastSeen = now;
    if (batch) {
      s.lastBatch = now;
      s.stale = false;
      const row = this.store.getNode(site, node);
      if (row?.interval_s) s.intervalS = row.interval_s;
    }
    if (!s.online) {
      s.online = true;
      // no sync of its own on the gateway's thread: the next sync of ingest's commits makes it durable, and the
      // flag is the liveness' own state, written again after a restart
      this.store.transactionDeferringSync(() => this.store.setOnline(site, node, true, now));
      this.bus.emit("node.state", { site, node, online: true, reason: "seen" });
    }
  }

  /**
   * Take silent nodes offline and flag stale data, in one transaction committed without a sync of its own (as in
   * touch): with every node going stale at once, a commit and an fsync each held the gateway's thread 0.4 s for 500.
   */
  check(): void {
    const events: { site: string; node: string }[] = [];
    this.store.transactionDeferringSync(() => this.checkAll(events));
    for (const e of events) this.bus.emit("node.state", { site: e.site, node: e.node, online: false, reason: "silence" });
  }

  private checkAll(offline: { site: string; node: string }[]): void {
    const now = this.now();
    for (const [key, s] of this.seen) {
      const [site, node] = key.split("/");
      const intervalMs = s.intervalS * 1000;
      if (!s.stale && now - s.lastBatch > 2 * intervalMs) {
        s.stale = true;
        this.store.setStale(site, node, true);
      }
      if (s.online && now - s.lastSeen > 3 * intervalMs) {
        s.online = false;
        this.store.setOnline(site, node, false, s.lastSeen);
        offline.push({ site, node });
      }
    }
  }

  /** Send the gateway's wall-clock time to one node (recorded in `commands`, so its ack is matched). */
  async sendTime(site: string, node: string): Promise<void> {
    // the node's own clock when the gateway's is a simulation's (a replay gives each node its virtual time)
    const nowS = Math.floor(this.now(site + "/" + node) / 1000);
    const cmd: CommandPayload = { id: "t" + randomUUID().slice(0, 8), c: "time", x: nowS + timeCommandTtlS, a: { t: nowS } };
    try {
      this.store.insertCommand({ id: cmd.id, site, node, name: "time", args: cmd.a, createdAt: nowS * 1000, expiresAt: cmd.x * 1000 });
      await this.publisher.publish(nodeTopic(site, node, "command"), JSON.stringify(cmd), { qos: 1, retain: false });
    } catch (e) {
      console.warn(`gateway: could not send the time to ${site}/${node}: ${(e as Error).message}`);
    }
  }

  syncAll(): void {
    for (const [key, s] of this.seen) {
      if (!s.online) continue;
      const [site, node] = key.split("/");
      void this.sendTime(site, node);
    }
  }
}

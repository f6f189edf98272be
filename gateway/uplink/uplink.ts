// The gateway uplink: a feature on the gateway bus that forwards stored batches, births, node states and alarms to
// the central broker (wire.ts) from the durable outbox (outbox.ts), within the link's byte budget (budget.ts).
// An outbox entry is deleted only when the PUBACK of the message that carried it has arrived; after a lost
// connection or a restart its message is sent again and the central ingest drops the repeat by key.
import type Database from "better-sqlite3";
import type { MqttClient } from "mqtt";
import { alarmEventOf, type AlarmEvent } from "../alarms/service";
import { AlarmRow, clearAlarm, insertAlarm } from "../alarms/store";
import { EventBus, GatewayFeature, Subscriptions } from "../events";
import { Budget, BudgetCrossing, periodKeys } from "./budget";
import type { UplinkConfig } from "./config";
import { openLink } from "./link";
import { Outbox, OutboxGroup } from "./outbox";
import { readBatch, readBirth } from "./records";
import { CentralKind, columnsTopic, encodeCentral, type AlarmItem, type BatchItem, type StateItem } from "../../contracts/uplink-wire";
import { ColumnsEncoder } from "./columns-state";

/** The parts of the gateway the uplink uses (gateway/gateway.ts's Gateway has them); the store exists once started. */
export interface UplinkParts {
  bus: EventBus;
  store: { db: Database.Database } | undefined;
}

export interface UplinkOptions {
  /** Site id under which the uplink's own alarms are stored and forwarded (node "uplink"). */
  site: string;
  now?: () => number;
  log?: (line: string) => void;
  /** How often the wire count is booked and the outbox looked at, ms. */
  tickMs?: number;
}

export interface UplinkStatus {
  connected: boolean;
  outbox: number;
  inflight: number;
  messagesSent: number;
  entriesAcked: number;
  wireBytes: number;
  connects: number;
  pausedUntil: number | null;
}

export const budgetRule = { day: "uplink_budget_day", month: "uplink_budget_month" };

export class Uplink implements GatewayFeature {
  outbox: Outbox | undefined;
  budget: Budget | undefined;
  private db: Database.Database | undefined;
  private readonly subs = new Subscriptions();
  private client: MqttClient | undefined;
  private connected = false;
  private stopped = true;
  private busy = new Set<number>();
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private pausedUntil: number | null = null;
  private unbooked = 0;
  private columns: ColumnsEncoder | undefined;
  private periods = { day: "", month: "" };
  private readonly now: () => number;
  readonly stats = { messagesSent: 0, entriesAcked: 0, wireBytes: 0, connects: 0, linkErrors: 0 };

  constructor(
    private readonly gw: UplinkParts,
    private readonly cfg: UplinkConfig,
    private readonly opts: UplinkOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (!this.cfg.url) return;
    if (!this.gw.store) throw new Error("uplink: the gateway's store is not open");
    const db = (this.db = this.gw.store.db);
    this.outbox = new Outbox(db);
    this.columns = new ColumnsEncoder(this.cfg.keyframe_batches);
    this.budget = new Budget(db, this.cfg.budget);
    this.periods = periodKeys(this.now());
    this.stopped = false;
    const bus = this.gw.bus;
    this.subs.on(bus, "batch.stored", (e) => this.addBatch(e.site, e.node, e.boot, e.seq));
    this.subs.on(bus, "node.birth", (e) => this.addBirth(e.site, e.node));
    this.subs.on(bus, "node.state", (e) => {
      const t = this.now();
      const item: StateItem = { on: e.online ? 1 : 0, r: e.reason, t };
      this.add("s", e.site, e.node, `s/${e.site}/${e.node}/${t}/${e.online ? 1 : 0}/${e.reason}`, item);
    });
    this.subs.on(bus, "alarm", (e: AlarmEvent) => {
      const item: AlarmItem = { id: e.id, rule: e.rule, sev: e.severity, st: e.state, t: e.ts, msg: e.message, val: e.value };
      this.add("a", e.site, e.node, `a/${e.site}/${e.id}/${e.state}`, item);
    });
    // the central side learns every node's channel keys, also those born before the uplink was configured
    for (const n of db.prepare("SELECT site, node FROM nodes").all() as { site: string; node: string }[]) this.addBirth(n.site, n.node);
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subs.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.closeLink();
    this.book();
  }

  status(): UplinkStatus {
    return {
      connected: this.connected,
      outbox: this.outbox?.count() ?? 0,
      inflight: this.inflight,
      messagesSent: this.stats.messagesSent,
      entriesAcked: this.stats.entriesAcked,
      wireBytes: this.stats.wireBytes,
      connects: this.stats.connects,
      pausedUntil: this.pausedUntil,
    };
  }

  private add(kind: CentralKind, site: string, node: string, key: string, body: unknown): void {
    if (!this.outbox) return;
    this.outbox.add(kind, site, node, key, this.now(), JSON.stringify(body));
    setImmediate(() => this.pump());
  }

  private addBatch(site: string, node: string, boot: number, seq: number): void {
    const b = this.db && readBatch(this.db, site, node, boot, seq);
    // body starts with the channel table so that the outbox can keep one table per message
    if (b) this.add("t", site, node, `t/${site}/${node}/${boot}/${seq}`, { c: b.c, x: b.x, item: b.item });
  }

  private addBirth(site: string, node: string): void {
    const b = this.db && readBirth(this.db, site, node);
    if (b) this.add("b", site, node, `b/${site}/${node}/${b.boot}/${this.now()}`, b);
  }

  private connect(): void {
    if (this.stopped || this.client || this.pausedUntil !== null) return;
    const c = this.cfg;
    const client = openLink({
      url: c.url!,
      clientId: c.clientId ?? `mg-${this.opts.site}`,
      username: c.username,
      password: c.password,
      tls: c.tls,
      keepalive_s: c.keepalive_s,
      onBytes: (n) => (this.unbooked += n),
    });
    this.client = client;
    client.on("connect", () => {
      if (this.client !== client) return;
      this.connected = true;
      this.stats.connects++;
      // mgc/v2: nothing sent before this connection is written against (columns-state.ts)
      this.columns?.reset();
      this.pump();
    });
    client.on("error", (e) => {
      this.stats.linkErrors++;
      this.opts.log?.(`uplink: ${e.message}`);
    });
    client.on("close", () => {
      if (this.client !== client) return;
      this.dropLink(client);
      this.retryAt = this.now() + c.reconnect_s * 1000;
    });
  }

  private dropLink(client: MqttClient): void {
    this.client = undefined;
    this.connected = false;
    // unacknowledged entries stay in the outbox and go again on the next connection
    this.busy = new Set();
    this.inflight = 0;
    client.removeAllListeners("connect");
    client.end(true);
  }

  private async closeLink(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.dropLink(client);
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }

  /** Book the bytes counted since the last call against the budget; raise an alarm at a threshold. */
  private book(): void {
    const n = this.unbooked;
    this.unbooked = 0;
    if (!this.budget || n === 0) return;
    this.stats.wireBytes += n;
    for (const x of this.budget.add(n, this.now())) this.raise(x);
  }

  private raise(x: BudgetCrossing): void {
    if (!this.db) return;
    const pct = Math.round((100 * x.used_bytes) / x.limit_bytes);
    const message =
      x.level === "spent"
        ? `uplink ${x.period} budget spent: ${x.used_bytes} of ${x.limit_bytes} bytes; data waits in the outbox until the ${x.period} ends`
        : `uplink ${x.period} budget at ${pct}%: ${x.used_bytes} of ${x.limit_bytes} bytes`;
    const rule = budgetRule[x.period];
    // the warning gives way to the alarm that the budget is spent
    const cleared = clearAlarm(this.db, this.opts.site, "uplink", rule, this.now());
    if (cleared) this.emitAlarm(cleared, "cleared");
    const row = insertAlarm(this.db, {
      site: this.opts.site,
      node: "uplink",
      rule,
      severity: x.level === "spent" ? "critical" : "warning",
      raised_at: this.now(),
      message,
      value: x.used_bytes,
    });
    this.opts.log?.(`uplink: ${message}`);
    this.emitAlarm(row, "raised");
  }

  private emitAlarm(row: AlarmRow, state: "raised" | "cleared"): void {
    this.gw.bus.emit("alarm", alarmEventOf(row, state, state === "raised" ? row.raised_at : (row.cleared_at ?? this.now())));
  }

  /** A new day or month: its budget alarm clears. */
  private rollPeriods(now: number): void {
    const k = periodKeys(now);
    for (const p of ["day", "month"] as const) {
      if (k[p] === this.periods[p] || !this.db) continue;
      const row = clearAlarm(this.db, this.opts.site, "uplink", budgetRule[p], now);
      if (row) this.emitAlarm(row, "cleared");
    }
    this.periods = k;
  }

  private tick(): void {
    const now = this.now();
    this.book();
    this.rollPeriods(now);
    if (this.pausedUntil !== null && now >= this.pausedUntil) this.pausedUntil = null;
    if (!this.client && !this.stopped && this.pausedUntil === null && now >= this.retryAt) this.connect();
    this.pump();
  }

  private pump(): void {
    if (!this.connected || !this.outbox || !this.budget || this.stopped) return;
    this.book();
    const spent = this.budget.spent(this.now());
    if (spent) {
      this.pausedUntil = spent.until;
      this.opts.log?.(`uplink: ${spent.period} budget spent; closed until ${new Date(spent.until).toISOString()}`);
      void this.closeLink();
      return;
    }
    const c = this.cfg;
    while (this.inflight < c.inflight) {
      const g = this.outbox.pick({
        now: this.now(),
        liveWindowMs: c.live_window_s * 1000,
        maxMessages: c.batching.max_messages,
        maxDelayMs: c.batching.max_delay_s * 1000,
        busy: this.busy,
      });
      if (!g) return;
      this.send(g);
    }
  }

  private send(g: OutboxGroup): void {
    const client = this.client!;
    const ids = g.entries.map((e) => e.id);
    const bodies = g.entries.map((e) => JSON.parse(e.body));
    const msg =
      g.kind === "t"
        ? { site: g.site, node: g.node, kind: g.kind, c: bodies[0].c, x: bodies[0].x, items: bodies.map((b) => b.item) }
        : { site: g.site, node: g.node, kind: g.kind, items: bodies };
    const { topic, payload } =
      g.kind === "t" && this.cfg.format === 2
        ? { topic: columnsTopic(g.site, g.node), payload: this.columns!.encode(g.site, g.node, { c: msg.c!, x: msg.x! }, msg.items as BatchItem[]) }
        : encodeCentral(msg, this.cfg.compression);
    for (const id of ids) this.busy.add(id);
    this.inflight++;
    this.stats.messagesSent++;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      if (this.client !== client) return; // that connection is gone: its entries are free again
      this.inflight--;
      for (const id of ids) this.busy.delete(id);
      if (!err) {
        // [MQTT-4.3.2] the PUBACK: the central broker owns the message now
        this.outbox?.remove(ids);
        this.stats.entriesAcked += ids.length;
      } else {
        // its batches go again: nothing may be written against them until they have (columns-state.ts)
        this.columns?.reset();
      }
      this.pump();
    });
  }
}

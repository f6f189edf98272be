// GET /api/events: Server-Sent Events as they happen on the gateway bus: "batch.stored" with the values the batch
// stored (its channels, then one entry per row: time, values in channel order, qualities), "alarm", "node.state" and
// "command" (data: the event's JSON), and a comment line every 15 s to keep proxies from closing it. The stored values
// are read back from the database (what was stored, after ranges and merges), and only while a client listens.
import type { ServerResponse } from "node:http";
import { unitOf } from "../../contracts/gateway-api";
import { EventBus, GatewayEventName, GatewayEvents, Subscriptions } from "../events";
import { stmt, type Db } from "../storage/db";

const forwarded: GatewayEventName[] = ["alarm", "node.state", "command"];

/** data of a "batch.stored" event. */
export interface StoredBatchEvent {
  site: string;
  node: string;
  boot: number;
  seq: number;
  /** Rows stored. */
  rows: number;
  /** Time of the first row stored, ms, and the report interval, s. */
  t0: number;
  interval_s: number;
  channels: { id: number; key: string; agg: string; unit: string | null }[];
  /** One entry per stored row: its time, a value per channel (in `channels` order; null = none), and a quality letter per channel. */
  samples: { ts: number; values: (number | null)[]; quality: string }[];
}

/** The batch's stored rows as an event; undefined when the batch is not (or no longer) in the store. */
export function storedBatchEvent(db: Db, e: GatewayEvents["batch.stored"]): StoredBatchEvent | undefined {
  const b = stmt(db, "SELECT t0, interval_s, rows FROM batches WHERE site = ? AND node = ? AND boot = ? AND seq = ?").get(e.site, e.node, e.boot, e.seq) as
    | { t0: number; interval_s: number; rows: number }
    | undefined;
  if (!b) return undefined;
  const chans = stmt(db, "SELECT channel_id AS id, key, agg FROM channels WHERE site = ? AND node = ? ORDER BY channel_id").all(e.site, e.node) as { id: number; key: string; agg: string }[];
  const index = new Map(chans.map((c, i) => [c.id, i]));
  const step = b.interval_s * 1000;
  const end = b.t0 + b.rows * step;
  // one range seek per channel: the samples' key is (site, node, channel_id, ts), so a range over ts alone would
  // read every sample the node ever stored
  const range = stmt(db, "SELECT channel_id, ts, value, quality FROM samples WHERE site = ? AND node = ? AND channel_id = ? AND ts >= ? AND ts < ?");
  const rows = chans.flatMap((c) => range.all(e.site, e.node, c.id, b.t0, end) as { channel_id: number; ts: number; value: number | null; quality: string }[]);
  const byTs = new Map<number, { ts: number; values: (number | null)[]; quality: string[] }>();
  for (const r of rows) {
    const i = index.get(r.channel_id);
    if (i === undefined) continue;
    let s = byTs.get(r.ts);
    if (!s) byTs.set(r.ts, (s = { ts: r.ts, values: chans.map(() => null), quality: chans.map(() => "-") }));
    s.values[i] = r.value;
    s.quality[i] = r.quality;
  }
  return {
    site: e.site,
    node: e.node,
    boot: e.boot,
    seq: e.seq,
    rows: e.rows,
    t0: b.t0,
    interval_s: b.interval_s,
    channels: chans.map((c) => ({ ...c, unit: unitOf(c.key) })),
    samples: [...byTs.values()].sort((x, y) => x.ts - y.ts).map((s) => ({ ts: s.ts, values: s.values, quality: s.quality.join("") })),
  };
}

export class LiveEvents {
  private readonly clients = new Set<ServerResponse>();
  private readonly subs = new Subscriptions();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly db?: Db,
  ) {}

  start(): void {
    for (const name of forwarded) this.subs.on(this.bus, name, (payload) => this.send(name, payload));
    this.subs.on(this.bus, "batch.stored", (e) => {
      if (this.clients.size === 0) return;
      this.send("batch.stored", (this.db && storedBatchEvent(this.db, e)) || { site: e.site, node: e.node, boot: e.boot, seq: e.seq, rows: e.rows });
    });
    this.timer = setInterval(() => {
      for (const c of this.clients) c.write(": keep-alive\n\n");
    }, 15_000);
    this.timer.unref();
  }

  stop(): void {
    this.subs.clear();
    if (this.timer) clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  count(): number {
    return this.clients.size;
  }

  add(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
    res.write("retry: 3000\n\n");
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  private send(name: string, payload: unknown): void {
    if (this.clients.size === 0) return;
    const text = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const c of this.clients) c.write(text);
  }
}

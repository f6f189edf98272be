// Every channel's newest value, kept in memory for GET /metrics with http.metrics.channels: read once per node from
// the store (one seek per channel, about 25-50 µs each: 12,500 channels took 0.68 s, bench/gateway-integrations),
// then brought up to date from each stored batch (one seek per channel of that batch's range), so that a scrape only
// formats. A birth (a new channel table) drops the node's entry; it is read again at the next scrape.
import { EventBus, Subscriptions } from "../events";
import { stmt, type Db } from "../storage/db";
import { unitOf } from "../../contracts/gateway-api";

export interface CachedValue {
  key: string;
  agg: string;
  ts: number;
  value: number | null;
  /** The channel's label set as /metrics writes it, made once per birth. */
  labels: string;
}

/** A Prometheus label value: backslash, quote and newline escaped (exposition format 0.0.4). */
export function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export class LatestCache {
  private readonly nodes = new Map<string, Map<number, CachedValue>>();
  private readonly subs = new Subscriptions();
  private loadedAll = false;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
  ) {}

  start(): void {
    this.subs.on(this.bus, "node.birth", (e) => {
      this.nodes.delete(e.site + "/" + e.node);
      this.loadedAll = false;
    });
    this.subs.on(this.bus, "batch.stored", (e) => {
      const values = this.nodes.get(e.site + "/" + e.node);
      if (!values) return;
      const b = stmt(this.db, "SELECT t0, interval_s, rows FROM batches WHERE site = ? AND node = ? AND boot = ? AND seq = ?").get(e.site, e.node, e.boot, e.seq) as
        | { t0: number; interval_s: number; rows: number }
        | undefined;
      if (!b) return;
      const q = stmt(this.db, "SELECT ts, value FROM samples WHERE site = ? AND node = ? AND channel_id = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT 1");
      for (const [id, v] of values) {
        const s = q.get(e.site, e.node, id, b.t0, b.t0 + b.rows * b.interval_s * 1000) as { ts: number; value: number | null } | undefined;
        // a batch from a node's backlog is older than what is cached: it does not replace it
        if (s && s.ts >= v.ts) values.set(id, { ...v, ts: s.ts, value: s.value });
      }
    });
  }

  stop(): void {
    this.subs.clear();
    this.nodes.clear();
  }

  /** Every node's channels with their newest values, sorted by site, node and channel id. */
  all(): CachedValue[] {
    if (!this.loadedAll) {
      const nodes = stmt(this.db, "SELECT site, node FROM nodes ORDER BY site, node").all() as { site: string; node: string }[];
      for (const n of nodes) if (!this.nodes.has(n.site + "/" + n.node)) this.load(n.site, n.node);
      this.loadedAll = true;
    }
    const out: CachedValue[] = [];
    for (const k of [...this.nodes.keys()].sort()) for (const v of this.nodes.get(k)!.values()) out.push(v);
    return out;
  }

  private load(site: string, node: string): void {
    const chans = stmt(this.db, "SELECT channel_id, key, agg FROM channels WHERE site = ? AND node = ? ORDER BY channel_id").all(site, node) as { channel_id: number; key: string; agg: string }[];
    const last = stmt(this.db, "SELECT ts, value FROM samples WHERE site = ? AND node = ? AND channel_id = ? ORDER BY ts DESC LIMIT 1");
    const values = new Map<number, CachedValue>();
    for (const c of chans) {
      const s = last.get(site, node, c.channel_id) as { ts: number; value: number | null } | undefined;
      const labels = `{site="${esc(site)}",node="${esc(node)}",key="${esc(c.key)}",agg="${esc(c.agg)}",unit="${esc(unitOf(c.key) ?? "")}"}`;
      values.set(c.channel_id, { key: c.key, agg: c.agg, ts: s ? s.ts : -Infinity, value: s ? s.value : null, labels });
    }
    this.nodes.set(site + "/" + node, values);
  }
}

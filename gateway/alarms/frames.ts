// Readings of one stored batch, grouped into frames (one per row time) for the alarm rules.
import { Db, stmt } from "../storage/db";
import type { Frame } from "./rules";

/** Which aggregation of a key stands for the key itself (battery_V: the mean, not the min or max). */
const aggRank: { [agg: string]: number } = { mean: 0, last: 1, counter: 2, min: 3, max: 4 };

interface SampleRow {
  ts: number;
  value: number | null;
  quality: string;
  key: string;
  agg: string;
}

/** Frames of the batch (site, node, boot, seq), oldest first; empty when the batch is unknown. */
export function batchFrames(db: Db, site: string, node: string, boot: number, seq: number): Frame[] {
  const b = stmt(db, "SELECT t0, interval_s, rows FROM batches WHERE site = ? AND node = ? AND boot = ? AND seq = ?").get(site, node, boot, seq) as
    | { t0: number; interval_s: number; rows: number }
    | undefined;
  if (!b) return [];
  const span_ms = Math.round(b.interval_s * 1000);
  return framesBetween(db, site, node, b.t0, b.t0 + b.rows * span_ms, span_ms);
}

const framesSql =
  "SELECT s.ts AS ts, s.value AS value, s.quality AS quality, c.key AS key, c.agg AS agg FROM channels c CROSS JOIN samples s " +
  "ON s.site = c.site AND s.node = c.node AND s.channel_id = c.channel_id WHERE c.site = ? AND c.node = ? AND s.ts >= ? AND s.ts < ?";

/**
 * Frames of a node in [from, to). The channels table drives the join, so each channel is a range seek on the
 * samples key (site, node, channel_id, ts) rather than a scan of the node's whole history.
 */
export function framesBetween(db: Db, site: string, node: string, from: number, to: number, span_ms: number): Frame[] {
  const rows = stmt(db, framesSql).all(site, node, from, to) as SampleRow[];
  const byTs: { [ts: number]: Frame } = {};
  const rank: { [k: string]: number } = {};
  for (const r of rows) {
    const f = byTs[r.ts] ?? (byTs[r.ts] = { ts: r.ts, span_ms, r: {} });
    const reading = { v: r.value, q: r.quality };
    f.r[r.key + ":" + r.agg] = reading;
    const k = r.ts + "/" + r.key;
    const rk = aggRank[r.agg] ?? 9;
    if (rank[k] === undefined || rk < rank[k]) {
      rank[k] = rk;
      f.r[r.key] = reading;
    }
  }
  return Object.values(byTs).sort((a, b) => a.ts - b.ts);
}

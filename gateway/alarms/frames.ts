// Readings of one stored batch, grouped into frames (one per row time) for the alarm rules.
import { Db, stmt } from "../storage/db";
import type { WrittenBatch } from "../storage/store";
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
  const frames = new FrameBuilder(span_ms);
  for (const r of stmt(db, framesSql).all(site, node, from, to) as SampleRow[]) frames.add(r.ts, r.key, r.agg, r.value, r.quality);
  return frames.done();
}

/** A channel's quantity and aggregation, by channel id (one node's channels table). */
export type ChannelNames = Map<number, { key: string; agg: string }>;

/** The node's channels, as framesOfWritten wants them. */
export function channelNamesOf(db: Db, site: string, node: string): ChannelNames {
  const rows = stmt(db, "SELECT channel_id, key, agg FROM channels WHERE site = ? AND node = ?").all(site, node) as { channel_id: number; key: string; agg: string }[];
  return new Map(rows.map((r) => [r.channel_id, { key: r.key, agg: r.agg }]));
}

/**
 * Frames of the samples a batch wrote (ingest hands them over with "batch.stored"): the same frames as reading
 * them back from the store (test/gateway/alarms-frames.test.ts), without the query, which was a third of a gateway's
 * CPU with 500 nodes sending as fast as it took them.
 */
export function framesOfWritten(w: WrittenBatch, names: ChannelNames): Frame[] {
  const frames = new FrameBuilder(w.span_ms);
  for (const row of w.rows)
    for (let j = 0; j < w.channelIds.length; j++) {
      const c = names.get(w.channelIds[j]);
      if (c) frames.add(row.ts, c.key, c.agg, row.values[j], row.quality[j]);
    }
  return frames.done();
}

/** Readings grouped by time; a quantity's own reading is its aggregation of the lowest aggRank. */
class FrameBuilder {
  private readonly byTs = new Map<number, { frame: Frame; rank: { [key: string]: number } }>();

  constructor(private readonly span_ms: number) {}

  add(ts: number, key: string, agg: string, value: number | null, quality: string): void {
    let f = this.byTs.get(ts);
    if (!f) this.byTs.set(ts, (f = { frame: { ts, span_ms: this.span_ms, r: {} }, rank: {} }));
    const reading = { v: value, q: quality };
    f.frame.r[key + ":" + agg] = reading;
    const rk = aggRank[agg] ?? 9;
    if (f.rank[key] === undefined || rk < f.rank[key]) {
      f.rank[key] = rk;
      f.frame.r[key] = reading;
    }
  }

  done(): Frame[] {
    return [...this.byTs.values()].map((f) => f.frame).sort((a, b) => a.ts - b.ts);
  }
}

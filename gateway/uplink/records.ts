// What the uplink forwards, read back from the gateway's store: a stored batch as the central contract's batch item
// (rows of scaled integers in the order of the node's channel table, as the node sent them), a birth's channel table.
import type Database from "better-sqlite3";
import type { BatchItem, BirthItem } from "../../contracts/uplink-wire";

interface BatchRow {
  t0: number;
  interval_s: number;
  rows: number;
  historical: number;
  merged: number;
}

export interface StoredBatch {
  /** Channel ids and scales the rows follow ("c" and "x" of the message). */
  c: number[];
  x: number[];
  item: BatchItem;
}

/** A stored batch and its samples; undefined when the batch is not (or no longer) in the store. */
export function readBatch(db: Database.Database, site: string, node: string, boot: number, seq: number): StoredBatch | undefined {
  const b = db.prepare("SELECT t0, interval_s, rows, historical, merged FROM batches WHERE site=? AND node=? AND boot=? AND seq=?").get(site, node, boot, seq) as
    | BatchRow
    | undefined;
  if (!b) return undefined;
  const chans = db.prepare("SELECT channel_id, scale FROM channels WHERE site=? AND node=? ORDER BY channel_id").all(site, node) as { channel_id: number; scale: number }[];
  const c = chans.map((ch) => ch.channel_id);
  const x = chans.map((ch) => ch.scale);
  const col: { [id: number]: number } = {};
  c.forEach((id, j) => (col[id] = j));
  const step = b.interval_s * 1000;
  const r: (number | null)[][] = [];
  const q: string[][] = [];
  for (let k = 0; k < b.rows; k++) {
    r.push(new Array<number | null>(c.length).fill(null));
    q.push(new Array<string>(c.length).fill("f"));
  }
  const samples = db
    .prepare("SELECT channel_id, ts, value, quality FROM samples WHERE site=? AND node=? AND ts>=? AND ts<?")
    .all(site, node, b.t0, Math.round(b.t0 + b.rows * step)) as { channel_id: number; ts: number; value: number | null; quality: string }[];
  for (const s of samples) {
    const j = col[s.channel_id];
    const k = Math.round((s.ts - b.t0) / step);
    if (j === undefined || k < 0 || k >= b.rows) continue;
    r[k][j] = s.value === null ? null : Math.round(s.value * Math.pow(10, x[j]));
    q[k][j] = s.quality;
  }
  const item: BatchItem = { b: boot, s: seq, t: b.t0 / 1000, i: b.interval_s, r };
  const qs = q.map((row) => row.join(""));
  if (qs.some((row) => /[^o]/.test(row))) item.q = qs;
  if (b.historical) item.h = 1;
  if (b.merged > 1) item.m = b.merged;
  return { c, x, item };
}

/** The birth stored for a node, as the central contract's birth item. */
export function readBirth(db: Database.Database, site: string, node: string): BirthItem | undefined {
  const n = db.prepare("SELECT boot, fw, board FROM nodes WHERE site=? AND node=?").get(site, node) as { boot: number; fw: string; board: string } | undefined;
  if (!n) return undefined;
  const ch = db.prepare("SELECT channel_id, key, agg, scale FROM channels WHERE site=? AND node=? ORDER BY channel_id").all(site, node) as {
    channel_id: number;
    key: string;
    agg: string;
    scale: number;
  }[];
  return { boot: n.boot, fw: n.fw, bd: n.board, ch: ch.map((r) => [r.channel_id, r.key, r.agg, r.scale]) };
}

// Coarser summaries of old batches (DESIGN.md guarantee 2: outages degrade resolution, never continuity).
// k consecutive rows become one row covering k intervals, per channel by its aggregation (protocol/channels.ts):
//   mean    -> mean of the members' means (each member covers the same interval length, so with every member
//              present this is the exact mean over the merged interval), rounded to the wire integer
//   min     -> min of mins, max -> max of maxes (exact)
//   last    -> the last member that has a value; counter -> likewise its last value (a monotonic total)
// Quality (letters of messages.ts, worst first f > s > e > o): the worst among the members that have a value;
// when only some members have one the value covers part of the merged interval, so it is at best estimated ('e');
// when none has one the value stays null and the quality is the worst of the members (a gap is never a zero).
import { Aggregation } from "../../protocol/channels";
import { BatchPayload } from "../../protocol/messages";

/** Quality letters from best to worst. */
const ORDER = "oesf";

function worse(a: string, b: string): string {
  return ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}

/** Rows and qualities after merging every k consecutive rows; undefined when a row does not fit `aggs`. */
export function mergeRows(rows: (number | null)[][], q: string[], aggs: Aggregation[], k: number): { r: (number | null)[][]; q: string[] } | undefined {
  const nc = aggs.length;
  if (rows.length % k !== 0) return undefined;
  for (let j = 0; j < rows.length; j++) if (!rows[j] || rows[j].length !== nc) return undefined;
  const outR: (number | null)[][] = [];
  const outQ: string[] = [];
  for (let g = 0; g < rows.length; g += k) {
    const row: (number | null)[] = [];
    let qs = "";
    for (let c = 0; c < nc; c++) {
      const agg = aggs[c];
      let v: number | null = null;
      let sum = 0;
      let n = 0;
      let qBest = "o";
      let qAll = "o";
      for (let j = g; j < g + k; j++) {
        const x = rows[j][c];
        const qj = (q[j] && q[j].charAt(c)) || (x === null ? "f" : "o");
        qAll = worse(qAll, qj);
        if (x === null || x === undefined) continue;
        qBest = worse(qBest, qj);
        n++;
        sum += x;
        if (v === null || agg === "last" || agg === "counter") v = x;
        else if (agg === "min" && x < v) v = x;
        else if (agg === "max" && x > v) v = x;
      }
      if (agg === "mean" && n > 0) v = Math.round(sum / n);
      row.push(v);
      qs += n === 0 ? qAll : n < k ? worse(qBest, "e") : qBest;
    }
    outR.push(row);
    outQ.push(qs);
  }
  return { r: outR, q: outQ };
}

/** True when batch `b` continues batch `a` without a gap and with the same shape, so their rows can be joined. */
export function continues(a: BatchPayload, b: BatchPayload): boolean {
  return b.b === a.b && b.ts === a.ts && b.i === a.i && (b.m || 1) === (a.m || 1) && b.ch === a.ch && b.t === a.t + a.r.length * a.i;
}

/**
 * Batch `a` (joined with `b` when given: `b` must continue `a`) with every 2 rows merged into one; the result
 * keeps a's key and time anchor, has twice the interval and merge factor, and is marked historical.
 * Undefined when the batches cannot be merged (shape, gap, odd row count).
 */
export function mergeBatches(a: BatchPayload, b: BatchPayload | undefined, aggs: Aggregation[]): BatchPayload | undefined {
  if (b && !continues(a, b)) return undefined;
  const rows = b ? a.r.concat(b.r) : a.r;
  const q = b ? a.q.concat(b.q) : a.q;
  if (rows.length < 2) return undefined;
  const m = mergeRows(rows, q, aggs, 2);
  if (!m) return undefined;
  const out: BatchPayload = { b: a.b, s: a.s, t: a.t, ts: a.ts, i: a.i * 2, r: m.r, q: m.q, h: 1, m: (a.m || 1) * 2 };
  if (a.ch !== undefined) out.ch = a.ch;
  return out;
}

// Coarser summaries of old batches (DESIGN.md guarantee 2: outages degrade resolution, never continuity).
// k consecutive rows become one row covering k intervals, per channel by its aggregation (protocol/channels.ts):
//   mean    -> mean of the members' means weighted by the time each covers (with every member present this is
//              the exact mean over the merged interval), rounded to the wire integer
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

/**
 * Rows and qualities after merging every k consecutive rows (row j weighs w[j] in a mean, default 1); undefined
 * when a row does not fit `aggs`.
 */
export function mergeRows(rows: (number | null)[][], q: string[], aggs: Aggregation[], k: number, w?: number[]): { r: (number | null)[][]; q: string[] } | undefined {
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
      let wsum = 0;
      let qBest = "o";
      let qAll = "o";
      for (let j = g; j < g + k; j++) {
        const x = rows[j][c];
        const qj = (q[j] && q[j].charAt(c)) || (x === null ? "f" : "o");
        qAll = worse(qAll, qj);
        if (x === null || x === undefined) continue;
        qBest = worse(qBest, qj);
        n++;
        const wj = w ? w[j] : 1;
        sum += x * wj;
        wsum += wj;
        if (v === null || agg === "last" || agg === "counter") v = x;
        else if (agg === "min" && x < v) v = x;
        else if (agg === "max" && x > v) v = x;
      }
      if (agg === "mean" && n > 0) v = Math.round(sum / wsum);
      row.push(v);
      qs += n === 0 ? qAll : n < k ? worse(qBest, "e") : qBest;
    }
    outR.push(row);
    outQ.push(qs);
  }
  return { r: outR, q: outQ };
}

/** True when batch `b` continues batch `a` without a gap, from the same boot and channel table. */
export function continues(a: BatchPayload, b: BatchPayload): boolean {
  return b.b === a.b && b.ts === a.ts && b.ch === a.ch && b.t === a.t + a.r.length * a.i;
}

/**
 * A coarser batch in place of `a` (joined with `b` when given: `b` must continue `a`), keeping a's key and time
 * anchor, marked historical; undefined when they cannot be merged. Rows of equal interval pair up (twice the
 * interval and merge factor; needs an even number of rows); two single-row batches of any intervals become one
 * row covering both (interval and merge factor add up, means weighted by interval).
 */
export function mergeBatches(a: BatchPayload, b: BatchPayload | undefined, aggs: Aggregation[]): BatchPayload | undefined {
  if (b && !continues(a, b)) return undefined;
  const rows = b ? a.r.concat(b.r) : a.r;
  const q = b ? a.q.concat(b.q) : a.q;
  const ma = a.m || 1;
  let i = a.i * 2;
  let m = ma * 2;
  let w: number[] | undefined;
  if (b && b.i !== a.i) {
    if (rows.length !== 2) return undefined;
    i = a.i + b.i;
    m = ma + (b.m || 1);
    w = [a.i, b.i];
  }
  if (rows.length < 2) return undefined;
  const r = mergeRows(rows, q, aggs, 2, w);
  if (!r) return undefined;
  // e: the last seq the merged batch covers, so the gateway and the ledger know which keys it stands for
  const out: BatchPayload = { b: a.b, s: a.s, e: b ? (b.e !== undefined ? b.e : b.s) : a.e !== undefined ? a.e : a.s, t: a.t, ts: a.ts, i: i, r: r.r, q: r.q, h: 1, m: m };
  if (a.ch !== undefined) out.ch = a.ch;
  return out;
}

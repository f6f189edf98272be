// Coarser summaries of old batches (docs/design.md guarantee 2: outages degrade resolution, never continuity).
// Two consecutive rows become one row covering both intervals, per channel by its aggregation (protocol/channels.ts):
//   mean    -> mean of the members' means weighted by the time each covers (with every member present this is
//              the exact mean over the merged interval), rounded to the wire integer
//   min     -> min of mins, max -> max of maxes (exact)
//   last    -> the last member that has a value; counter -> likewise its last value (a monotonic total)
// Quality (letters of messages.ts, worst first f > s > e > o): the worst among the members that have a value;
// when only one member has one the value covers part of the merged interval, so it is at best estimated ('e');
// when none has one the value stays null and the quality is the worst of the members (a gap is never a zero).
import { Aggregation } from "../../protocol/channels";
import { BatchPayload } from "../../protocol/messages";

/** Quality letters from best to worst. */
const ORDER = "oesf";

/**
 * A coarser batch in place of `a` (joined with `b` when given: `b` must continue `a` without a gap, from the same
 * boot, clock and channel table), keeping a's key and time anchor, marked historical; undefined when they cannot be
 * merged. Rows of equal interval pair up (twice the interval and merge factor; needs an even number of rows, each
 * with one value per channel of `aggs`); two single-row batches of any intervals become one row covering both
 * (interval and merge factor add up, means weighted by interval).
 */
export function mergeBatches(a: BatchPayload, b: BatchPayload | undefined, aggList: Aggregation[] | string): BatchPayload | undefined {
  if (b && (b.b !== a.b || b.ts !== a.ts || b.ch !== a.ch || b.t !== a.t + a.r.length * a.i)) return undefined;
  // a node keeps its aggregations as one string of words (a list would hold a variable per channel for as long as
  // it runs) and splits it only for a merge
  const aggs = typeof aggList === "string" ? aggList.split(" ") : aggList;
  const rows = b ? a.r.concat(b.r) : a.r;
  const qs = b ? a.q.concat(b.q) : a.q;
  const nc = aggs.length;
  // interval and merge factor: doubled, or the sum of two single rows of different intervals
  let i = a.i;
  let m = a.m || 1;
  if (b && b.i !== a.i) {
    if (rows.length !== 2) return undefined;
    i += b.i;
    m += b.m || 1;
  } else {
    i *= 2;
    m *= 2;
  }
  if (rows.length < 2 || rows.length % 2) return undefined;
  const outR: (number | null)[][] = [];
  const outQ: string[] = [];
  for (let g = 0; g < rows.length; g += 2) {
    const row: (number | null)[] = [];
    let q = "";
    for (let c = 0; c < nc; c++) {
      const agg = aggs[c];
      let v: number | null = null;
      let sum = 0;
      let wsum = 0;
      let n = 0;
      let best = 0; // worst quality among the members with a value, and among all (indexes in ORDER)
      let all = 0;
      for (let j = g; j < g + 2; j++) {
        if (!rows[j] || rows[j].length !== nc) return undefined;
        const x = rows[j][c];
        const qj = ORDER.indexOf((qs[j] && qs[j].charAt(c)) || (x === null ? "f" : "o"));
        if (qj > all) all = qj;
        if (x == null) continue; // null or missing
        if (qj > best) best = qj;
        n++;
        // weight: the interval the row covers (equal within a batch)
        const wj = j < a.r.length ? a.i : b!.i;
        sum += x * wj;
        wsum += wj;
        if (v === null || (agg === "min" ? x < v : agg !== "max" || x > v)) v = x; // mean: summed above
      }
      if (agg === "mean" && n) v = Math.round(sum / wsum);
      row.push(v);
      q += ORDER.charAt(!n ? all : n < 2 ? Math.max(best, 1) : best);
    }
    outR.push(row);
    outQ.push(q);
  }
  // e: the last seq the merged batch covers, so the gateway and the ledger know which keys it stands for
  // (JSON.stringify leaves ch out when a has none; e is never below s, so an e of 0 means s is 0 too)
  const z = b || a;
  return { b: a.b, s: a.s, e: z.e || z.s, t: a.t, ts: a.ts, i: i, r: outR, q: outQ, h: 1, m: m, ch: a.ch };
}

// What to write in place of a full page's batches (pure: flash-queue.ts does the I/O). Batches in key order;
// two neighbours that join without a gap (merge.ts `continues`) become one with twice the interval; a batch
// that cannot join its neighbour is merged on its own when its rows pair up, else copied unchanged.
import { Aggregation } from "../../protocol/channels";
import { BatchPayload } from "../../protocol/messages";
import { mergeBatches } from "./merge";
import { recordBytes } from "./record";
import { QueueItem } from "./types";

export interface ReclaimPlan {
  /** Records to write: keys (first member's b, s; last member's e) and texts. */
  outs: QueueItem[];
  /** Batches that went into a merge; largest merge factor written; queue bytes saved. */
  merged: number;
  m: number;
  freed: number;
}

function parse(t: string, ch: number | undefined): BatchPayload | undefined {
  let v: BatchPayload | undefined;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  return v && v.r && v.q && (ch === undefined || v.ch === undefined || v.ch === ch) ? v : undefined;
}

export function planReclaim(items: QueueItem[], aggs: Aggregation[], ch?: number): ReclaimPlan {
  const plan: ReclaimPlan = { outs: [], merged: 0, m: 1, freed: 0 };
  let next = items.length ? parse(items[0].t, ch) : undefined;
  for (let j = 0; j < items.length; ) {
    const it = items[j];
    const a = next;
    const it2 = j + 1 < items.length ? items[j + 1] : undefined;
    const b = it2 ? parse(it2.t, ch) : undefined;
    let m = a && b && it2!.b === it.b ? mergeBatches(a, b, aggs) : undefined;
    const pair = !!m;
    if (!m && a) m = mergeBatches(a, undefined, aggs);
    const t = m ? JSON.stringify(m) : it.t;
    if (m) {
      plan.merged += pair ? 2 : 1;
      if ((m.m || 1) > plan.m) plan.m = m.m || 1;
    }
    plan.freed += recordBytes(it.t.length) + (pair ? recordBytes(it2!.t.length) : 0) - recordBytes(t.length);
    plan.outs.push({ b: it.b, s: it.s, e: pair ? it2!.e : it.e, t: t, h: 1 });
    j += pair ? 2 : 1;
    next = pair ? (j < items.length ? parse(items[j].t, ch) : undefined) : b;
  }
  return plan;
}

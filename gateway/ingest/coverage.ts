// Which seqs and which time a batch adds to what is stored (docs/design.md guarantee 2). A node whose flash queue is full
// merges consecutive unacknowledged batches s..e into one keyed (b, s) with `e` the last seq it covers
// (firmware/app/queue/merge.ts). When batch s was stored but its PUBACK was lost, the merged batch still carries
// s+1..e: it is a duplicate only when every seq of s..e is stored, and otherwise only its rows whose time no stored
// batch covers are added (samples are keyed by channel and time; a merged row never overwrites finer rows).
import type { BatchPayload } from "../../firmware/protocol/messages";
import type { SeqSpan, TimeSpan } from "../storage/store";

/** The seqs a batch stands for: s..e for a merged batch, s alone otherwise (an e below s is ignored). */
export function seqRange(b: BatchPayload): { from: number; to: number } {
  const e = b.e;
  return { from: b.s, to: typeof e === "number" && Number.isInteger(e) && e >= b.s ? e : b.s };
}

/** The first seq of from..to that no span covers, or undefined when all are covered. */
export function firstUncovered(from: number, to: number, spans: SeqSpan[]): number | undefined {
  const sorted = [...spans].sort((x, y) => x.seq - y.seq);
  let cur = from;
  for (const sp of sorted) {
    if (sp.seq > cur) break;
    cur = Math.max(cur, sp.seq_last + 1);
  }
  return cur <= to ? cur : undefined;
}

/** For rows k = 0..n-1 covering [t0 + k*stepMs, t0 + (k+1)*stepMs): true when no stored time span overlaps it. */
export function rowsClear(t0: number, stepMs: number, n: number, stored: TimeSpan[]): boolean[] {
  const keep: boolean[] = [];
  for (let k = 0; k < n; k++) {
    const from = t0 + k * stepMs;
    const to = from + stepMs;
    keep.push(!stored.some((s) => s.from < to && s.to > from));
  }
  return keep;
}

/**
 * A batch every seq of which is stored: a duplicate when it is the same batch again (a plain batch, or a merged one
 * whose own row is there: it ends at its e with its merge factor, or a pending one ends there), else "covered" (a merged summary arriving after
 * its seqs were stored alone or in other rows; nothing of it is stored twice).
 */
export function repeatKind(from: number, to: number, merged: number, spans: SeqSpan[]): "duplicate" | "covered" {
  if (to === from || merged <= 1) return "duplicate";
  return spans.some((sp) => sp.seq_last === to && sp.seq >= from && (sp.merged === undefined || sp.merged === merged)) ? "duplicate" : "covered";
}

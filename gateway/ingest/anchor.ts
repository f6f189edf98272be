// Time anchoring of batches (docs/design.md guarantee 4: time is honest, a 1970 time is never stored).
// A batch stamped with uptime (ts = 0) is stored only once the wall-clock offset of its boot is known:
//   - a birth with clk = 1 and `up`: offset = arrival time - up (the gateway's clock at arrival);
//   - an evt "clock.synced" with d.off: offset = d.off (wall minus uptime, s), from the node's own sync.
// Until then it waits in pending_batches (this gateway never guesses a live batch's time from its arrival).
import type { BatchPayload } from "../../firmware/protocol/messages";

/** 2000-01-01T00:00:00Z: nothing measured by a mini-grid controller is older (firmware/protocol/validate.ts). */
export const earliestWallMs = 946684800000;

export type Anchor = { kind: "wall"; t0: number } | { kind: "pending" } | { kind: "bad-time"; detail: string };

/** Start (Unix ms) of a batch's row 0, given the known clock offset (ms) of its boot, if any. */
export function anchorBatch(b: BatchPayload, offsetMs: number | undefined): Anchor {
  let t0: number;
  if (b.ts === 1) t0 = b.t * 1000;
  else if (offsetMs === undefined) return { kind: "pending" };
  else t0 = offsetMs + b.t * 1000;
  t0 = Math.round(t0);
  if (!(t0 >= earliestWallMs)) return { kind: "bad-time", detail: `batch would start at ${new Date(t0).toISOString()}: refused, never stored` };
  return { kind: "wall", t0 };
}

/** Offset (ms) from a birth with a synchronised clock, received at arrivalMs. */
export function offsetFromBirth(upS: unknown, arrivalMs: number): number | undefined {
  if (typeof upS !== "number" || !(upS >= 0)) return undefined;
  return arrivalMs - upS * 1000;
}

/** Offset (ms) from an evt "clock.synced" carrying d.off (wall minus uptime, s). */
export function offsetFromSync(d: unknown): number | undefined {
  const off = d && typeof d === "object" ? (d as { off?: unknown }).off : undefined;
  if (typeof off !== "number" || !(off * 1000 >= earliestWallMs)) return undefined;
  return off * 1000;
}

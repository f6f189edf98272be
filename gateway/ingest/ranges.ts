// The range of every number a node sends (docs/data-quality.md). JSON lets a node send anything: `1e400` parses to
// Infinity, and a plausible-looking integer can still be impossible (a merged batch covering seqs 0..1e14 would make
// every later batch of its boot look like a duplicate: acknowledged, never stored). Each check returns the counted
// reason and a sentence naming the field, its value and its range; the caller refuses the message with it.
import type { BatchPayload, BirthPayload, EventPayload } from "../../firmware/protocol/messages";
import { earliestWallMs } from "./anchor";

export interface Refusal {
  reason: string;
  detail: string;
}

/** Reasons counted for out-of-range numbers (besides bad-time, which also covers times before 2000). */
export const rangeReasons = ["bad-time", "bad-uptime", "bad-boot", "bad-seq", "bad-interval", "bad-merge", "bad-value"] as const;

export const limits = {
  /** How far back a batch or event may lie from the gateway's clock: a node's flash backlog, merged, is far shorter. */
  pastMs: 5 * 366 * 86_400_000,
  /** How far ahead of the gateway's clock a batch may end or an event lie (clocks set by hand, drift). */
  futureMs: 86_400_000,
  /** Uptime a board can report, s (20 years). */
  maxUptimeS: 20 * 366 * 86_400,
  /** Boot counters and seqs are unsigned 32-bit words in the node's flash queue (firmware/app/queue/flash-queue.ts). */
  maxCounter: 0xffffffff,
  /** A report interval is 0.01 s..1 day (firmware applyConfig: 1..86400; tests and benches go faster); merged rows cover m of them. */
  minIntervalS: 0.01,
  maxIntervalS: 86_400,
  /** Merge factor: each merge doubles it (firmware/app/queue/merge.ts); 2^20 intervals of a minute are two years. */
  maxMerge: 1 << 20,
  /** A channel's scaled integer is a signed 32-bit value: what its scale allows is +-(2^31 - 1) / 10^scale. */
  maxRaw: 0x7fffffff,
  /** Decimal scales a channel table may declare (firmware/protocol/channels.ts uses 0..3). */
  minScale: 0,
  maxScale: 6,
};

const fail = (reason: string, detail: string): Refusal => ({ reason, detail });
const finite = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);
const iso = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** A wall-clock time (Unix ms) within [2000 or now - pastMs, now + futureMs]. */
export function checkWallMs(field: string, ms: number, nowMs: number): Refusal | undefined {
  const lo = Math.max(earliestWallMs, nowMs - limits.pastMs);
  const hi = nowMs + limits.futureMs;
  if (finite(ms) && ms >= lo && ms <= hi) return undefined;
  return fail("bad-time", `${field} is ${iso(ms)}; it must lie between ${iso(lo)} and ${iso(hi)} (the gateway's clock -5 years..+1 day, never before 2000)`);
}

export function checkUptime(field: string, s: unknown): Refusal | undefined {
  if (finite(s) && s >= 0 && s <= limits.maxUptimeS) return undefined;
  return fail("bad-uptime", `${field} is ${String(s)} s; an uptime is 0..${limits.maxUptimeS} s (20 years)`);
}

function checkCounter(reason: string, field: string, n: number): Refusal | undefined {
  return n <= limits.maxCounter ? undefined : fail(reason, `${field} is ${n}; a node keeps it in 32 bits (at most ${limits.maxCounter})`);
}

/** A birth: boot counter, uptime, channel scales; with a set clock, the boot must have started after 2000. */
export function checkBirthRanges(b: BirthPayload, nowMs: number): Refusal | undefined {
  const boot = checkCounter("bad-boot", "birth.boot", b.boot);
  if (boot) return boot;
  for (const c of b.ch)
    if (c[3] < limits.minScale || c[3] > limits.maxScale) return fail("bad-value", `channel ${c[0]} has scale ${c[3]}; a scale is ${limits.minScale}..${limits.maxScale}`);
  // `up` is optional on the wire for a node whose clock is not set (anchor.ts ignores it then)
  if (b.up === undefined && b.clk !== 1) return undefined;
  const up = checkUptime("birth.up", b.up);
  if (up) return up;
  if (b.clk === 1 && nowMs - b.up * 1000 < earliestWallMs) return fail("bad-uptime", `birth.up ${b.up} s would start the boot before 2000`);
  for (const c of b.ch)
    if (c[3] < limits.minScale || c[3] > limits.maxScale) return fail("bad-value", `channel ${c[0]} has scale ${c[3]}; a scale is ${limits.minScale}..${limits.maxScale}`);
  return undefined;
}

/**
 * The numbers of a batch that need no clock: boot, seqs, interval, merge factor, values. A merged batch stands for
 * seqs s..e, made of at most m rows each: e - s + 1 <= rows x m. An uptime batch cannot carry a seq higher than the
 * intervals its boot has lived through.
 */
export function checkBatchRanges(b: BatchPayload, scales: number[]): Refusal | undefined {
  const boot = checkCounter("bad-boot", "batch.b", b.b) ?? checkCounter("bad-seq", "batch.s", b.s);
  if (boot) return boot;
  const m = b.m ?? 1;
  if (!(m >= 1 && m <= limits.maxMerge)) return fail("bad-merge", `batch.m is ${m}; a merge factor is 1..${limits.maxMerge}`);
  if (!finite(b.i) || b.i < limits.minIntervalS || b.i > limits.maxIntervalS * m)
    return fail("bad-interval", `batch.i is ${b.i} s; with merge factor ${m} an interval is ${limits.minIntervalS}..${limits.maxIntervalS * m} s`);
  if (b.e !== undefined) {
    if (typeof b.e !== "number" || !Number.isInteger(b.e) || b.e < b.s) return fail("bad-seq", `batch.e is ${String(b.e)}; the last seq covered is an integer from s (${b.s})`);
    const most = b.r.length * m;
    if (b.e - b.s + 1 > most) return fail("bad-seq", `batch covers seqs ${b.s}..${b.e}; ${b.r.length} rows merged ${m}-fold stand for at most ${most} batches`);
  }
  if (b.ts === 0) {
    const up = checkUptime("batch.t (uptime)", b.t);
    if (up) return up;
    const lived = Math.floor((b.t + b.r.length * b.i) / limits.minIntervalS) + 1;
    if (b.s > lived) return fail("bad-seq", `batch.s is ${b.s} at uptime ${b.t} s; a boot makes at most one batch per ${limits.minIntervalS} s`);
  }
  for (let k = 0; k < b.r.length; k++)
    for (let j = 0; j < b.r[k].length; j++) {
      const v = b.r[k][j];
      if (v !== null && Math.abs(v) > limits.maxRaw)
        return fail("bad-value", `batch row ${k} value ${j} is ${v}; at scale ${scales[j]} a value is within +-${limits.maxRaw / Math.pow(10, scales[j] ?? 0)}`);
    }
  return undefined;
}

/** Where a batch's rows end (Unix ms) given the start of row 0. */
export function batchEndMs(b: BatchPayload, t0: number): number {
  return t0 + b.r.length * b.i * 1000;
}

/** An event's uptime (ts 0) or wall time (ts 1); the anchored time is checked by the caller with checkWallMs. */
export function checkEventRanges(e: EventPayload, nowMs: number): Refusal | undefined {
  const boot = checkCounter("bad-boot", "evt.b", e.b);
  if (boot) return boot;
  if (e.ts === 1) return checkWallMs("evt.t", e.t * 1000, nowMs);
  return checkUptime("evt.t (uptime)", e.t);
}

/** A clock.synced offset (wall minus uptime, s) is when the boot started: after 2000, not after now. */
export function checkSyncOffset(offS: unknown, nowMs: number): Refusal | undefined {
  const ms = typeof offS === "number" ? offS * 1000 : NaN;
  if (finite(ms) && ms >= earliestWallMs && ms >= nowMs - limits.maxUptimeS * 1000 && ms <= nowMs + limits.futureMs) return undefined;
  return fail("bad-time", `clock.synced d.off is ${String(offS)}; the boot's start (wall minus uptime, s) must lie after 2000 and not after the gateway's clock`);
}

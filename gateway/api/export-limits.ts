// Bounds of one CSV export (docs/data-quality.md). The export runs on the gateway's only thread, the one that
// commits batches and sends the nodes their PUBACKs: an unbounded range (to the year 5000) once looped through
// millions of empty six-hour chunks without giving the event loop a turn, and every node waited for its PUBACK.
// Now a range is at most a year, the work between two turns of the event loop is at most `samplesPerSlice`
// samples, and a request that runs past its time budget is cut off (an `error` event, or the connection closed).
import { ApiError, badParam } from "./http";

export interface ExportLimits {
  /** Longest range one request may ask for, ms. */
  maxRangeMs: number;
  /** Most samples one request may export (a year of 1-minute data for 38 channels is 20 million). */
  maxSamples: number;
  /** Samples read between two turns of the event loop. */
  samplesPerSlice: number;
  /** Exports running at once; more get 503. */
  maxConcurrent: number;
  /** Time budget of one request (monotonic clock), ms. */
  budgetMs: number;
}

export const defaultExportLimits: ExportLimits = {
  maxRangeMs: 366 * 86_400_000,
  maxSamples: 25_000_000,
  samplesPerSlice: 20_000,
  maxConcurrent: 4,
  budgetMs: 10 * 60_000,
};

const days = (ms: number) => Math.round((ms / 86_400_000) * 10) / 10;

/** 400 naming `to` when the range is longer than the limit. */
export function checkRange(from: number, to: number, l: ExportLimits): void {
  if (to - from > l.maxRangeMs)
    throw badParam("to", `the range is ${days(to - from)} days; an export covers at most ${days(l.maxRangeMs)} days (ask for the rest in further exports)`);
}

export function checkSamples(total: number, l: ExportLimits): void {
  if (total > l.maxSamples)
    throw new ApiError(413, "too-large", `the range holds at least ${total} samples; an export returns at most ${l.maxSamples}: narrow the range or the channels`, "to");
}

/** Let the event loop run (sockets, commits, PUBACKs) before the next slice of work. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A request's time budget on a monotonic clock (injectable for tests). */
export class Budget {
  private readonly until: number;

  constructor(
    budgetMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.until = clock() + budgetMs;
  }

  get spent(): boolean {
    return this.clock() > this.until;
  }
}

/** Counts exports running at once; `enter` throws 503 when the limit is reached. */
export class ExportSlots {
  private running = 0;

  enter(l: ExportLimits): () => void {
    if (this.running >= l.maxConcurrent) throw new ApiError(503, "busy", `${l.maxConcurrent} exports are running; try again when one has finished`);
    this.running++;
    let left = false;
    return () => {
      if (!left) this.running--;
      left = true;
    };
  }
}

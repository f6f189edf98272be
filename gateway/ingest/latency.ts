// Distributions and per-node counts for /metrics that the ingest counters alone could not show under load: how long
// a PUBLISH waits for its PUBACK (the broker acknowledges only after the commit), how often a node comes back
// (CONNECTs after its first), and how late the event loop runs its timers.
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** Upper bounds (s) of the PUBACK latency buckets: 1 ms up to 10 s around the 100 ms p99 target. */
export const PUBACK_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A Prometheus histogram: cumulative counts per upper bound, the sum and the count. */
export class Histogram {
  private readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]) this.counts[i]++;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: this.bounds, cumulative: this.counts.slice(), sum: this.sum, count: this.count };
  }
}

export interface HistogramSnapshot {
  bounds: number[];
  /** Observations at or under each bound (Prometheus `le`); `count` is the +Inf bucket. */
  cumulative: number[];
  sum: number;
  count: number;
}

/**
 * CONNECTs per node after its first: reconnects (a counter per node that connected at least once). At most
 * `maxNodes` are kept: anonymous clients in demo mode choose their own ids, and /metrics must not grow with them.
 */
export class Reconnects {
  readonly perNode: { [node: string]: number } = {};
  private size = 0;

  constructor(private readonly maxNodes = 5000) {}

  connected(node: string): void {
    const n = this.perNode[node];
    if (n !== undefined) this.perNode[node] = n + 1;
    else if (this.size < this.maxNodes) {
      this.perNode[node] = 0;
      this.size++;
    }
  }
}

/** Event-loop delay (perf_hooks, 10 ms resolution), read and reset at each scrape: the lag since the previous one. */
export class LoopLag {
  private h: IntervalHistogram | undefined;

  start(): void {
    if (this.h) return;
    this.h = monitorEventLoopDelay({ resolution: 10 });
    this.h.enable();
  }

  stop(): void {
    this.h?.disable();
    this.h = undefined;
  }

  /** p50, p99 and max in seconds since the last read; undefined when not started or nothing measured yet. */
  take(): { p50: number; p99: number; max: number } | undefined {
    const h = this.h;
    if (!h || h.count === 0) return undefined;
    const s = { p50: h.percentile(50) / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 };
    h.reset();
    return s;
  }
}

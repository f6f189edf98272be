// What the gateway counts, for logs and for the API's Prometheus text (the API reads `snapshot()`).
import type { CheckpointStats } from "../storage/checkpointer";
import { Histogram, HistogramSnapshot, LoopLag, PUBACK_BUCKETS_S, Reconnects } from "./latency";

/** Events per second over a sliding window of one-second buckets. */
export class RateMeter {
  private readonly buckets: Float64Array;
  private last = 0;

  constructor(private readonly windowS = 10) {
    this.buckets = new Float64Array(windowS);
  }

  add(n: number, nowMs: number): void {
    this.advance(nowMs);
    this.buckets[Math.floor(nowMs / 1000) % this.windowS] += n;
  }

  perSecond(nowMs: number): number {
    this.advance(nowMs);
    let sum = 0;
    for (let i = 0; i < this.windowS; i++) sum += this.buckets[i];
    return sum / this.windowS;
  }

  /** The buckets as they are now, for `restore`. */
  save(): { buckets: Float64Array; last: number } {
    return { buckets: this.buckets.slice(), last: this.last };
  }

  restore(s: { buckets: Float64Array; last: number }): void {
    this.buckets.set(s.buckets);
    this.last = s.last;
  }

  private advance(nowMs: number): void {
    const sec = Math.floor(nowMs / 1000);
    if (this.last === 0 || sec - this.last >= this.windowS) this.buckets.fill(0);
    else for (let s = this.last + 1; s <= sec; s++) this.buckets[s % this.windowS] = 0;
    this.last = Math.max(this.last, sec);
  }
}

export interface CountersSnapshot {
  received: { [kind: string]: number };
  batchesStored: number;
  rowsStored: number;
  samplesStored: number;
  duplicates: number;
  /** Merged summaries whose every seq was already stored in other rows (not stored twice, not a duplicate). */
  covered: number;
  pendingKept: number;
  pendingAnchored: number;
  rejects: { [reason: string]: number };
  commitErrors: number;
  flushes: number;
  lastFlushMs: number;
  maxFlushMs: number;
  ingestBatchesPerSecond: number;
  queueDepth: number;
  pendingDepth: number;
  nodesOnline: number;
  clientsConnected: number;
  /** CONNECTs per node ("site/node") after its first (embedded broker). */
  reconnects: { [node: string]: number };
  /** Seconds from a QoS 1 PUBLISH arriving to the PUBACK the broker may send once it is committed. */
  pubackSeconds: HistogramSnapshot;
  /** Event-loop delay since the previous snapshot (s); undefined when not measured. */
  eventLoopLagSeconds?: { p50: number; p99: number; max: number };
  /** The WAL and its checkpoint thread (storage/checkpointer.ts); undefined when SQLite checkpoints by itself. */
  wal?: CheckpointStats;
}

export class GatewayCounters {
  readonly received: { [kind: string]: number } = {};
  readonly rejects: { [reason: string]: number } = {};
  batchesStored = 0;
  rowsStored = 0;
  samplesStored = 0;
  duplicates = 0;
  covered = 0;
  pendingKept = 0;
  pendingAnchored = 0;
  commitErrors = 0;
  flushes = 0;
  lastFlushMs = 0;
  maxFlushMs = 0;
  readonly batchRate = new RateMeter(10);
  readonly reconnects = new Reconnects();
  readonly pubackSeconds = new Histogram(PUBACK_BUCKETS_S);
  /** Started with the gateway (gateway.ts), read and reset by each snapshot. */
  readonly loopLag = new LoopLag();
  /** Filled in by the parts that own them (ingest queue, store, liveness, broker). */
  gauges: { queueDepth: () => number; pendingDepth: () => number; nodesOnline: () => number; clientsConnected: () => number; wal: () => CheckpointStats | undefined } = {
    wal: () => undefined,
    queueDepth: () => 0,
    pendingDepth: () => 0,
    nodesOnline: () => 0,
    clientsConnected: () => 0,
  };

  /** What ingest has counted so far, to put back with `restore` when the transaction that counted more rolls back. */
  save(): IngestCounts {
    return {
      received: { ...this.received },
      rejects: { ...this.rejects },
      n: [this.batchesStored, this.rowsStored, this.samplesStored, this.duplicates, this.covered, this.pendingKept, this.pendingAnchored],
      rate: this.batchRate.save(),
    };
  }

  restore(c: IngestCounts): void {
    replace(this.received, c.received);
    replace(this.rejects, c.rejects);
    [this.batchesStored, this.rowsStored, this.samplesStored, this.duplicates, this.covered, this.pendingKept, this.pendingAnchored] = c.n;
    this.batchRate.restore(c.rate);
  }

  reject(reason: string): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
  }

  receive(kind: string): void {
    this.received[kind] = (this.received[kind] ?? 0) + 1;
  }

  snapshot(now = Date.now()): CountersSnapshot {
    return {
      received: { ...this.received },
      batchesStored: this.batchesStored,
      rowsStored: this.rowsStored,
      samplesStored: this.samplesStored,
      duplicates: this.duplicates,
      covered: this.covered,
      pendingKept: this.pendingKept,
      pendingAnchored: this.pendingAnchored,
      rejects: { ...this.rejects },
      commitErrors: this.commitErrors,
      flushes: this.flushes,
      lastFlushMs: this.lastFlushMs,
      maxFlushMs: this.maxFlushMs,
      ingestBatchesPerSecond: this.batchRate.perSecond(now),
      queueDepth: this.gauges.queueDepth(),
      pendingDepth: this.gauges.pendingDepth(),
      nodesOnline: this.gauges.nodesOnline(),
      clientsConnected: this.gauges.clientsConnected(),
      reconnects: { ...this.reconnects.perNode },
      pubackSeconds: this.pubackSeconds.snapshot(),
      eventLoopLagSeconds: this.loopLag.take(),
      wal: this.gauges.wal(),
    };
  }
}

/** Ingest's counts at one moment (GatewayCounters.save). */
export interface IngestCounts {
  received: { [kind: string]: number };
  rejects: { [reason: string]: number };
  n: number[];
  rate: { buckets: Float64Array; last: number };
}

function replace(target: { [k: string]: number }, from: { [k: string]: number }): void {
  for (const k of Object.keys(target)) if (!(k in from)) delete target[k];
  Object.assign(target, from);
}

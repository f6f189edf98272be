// The main thread's handle on a worker thread running some of a fleet's sites: the same calls as a SiteRunner,
// each answered when the worker has done it (with the batches its sites produced meanwhile).
import { Worker } from "node:worker_threads";
import type { ScheduledFault } from "../faults/script";
import type { SiteSpec } from "./sites";
import type { RunCounts } from "./runner";

/** Each worker thread's young generation (see start). */
const youngGenerationMb = 96;

export class WorkerRunner {
  private seq = 0;
  private waiting = new Map<number, (v: unknown) => void>();

  /** Told of the PUBACKs the worker's boards received for their batches ("site/node", count). */
  onAcked?: (key: string, n: number) => void;

  private constructor(private readonly w: Worker, onProduced: (key: string, b: number, s: number) => void) {
    w.on("message", (m: { id: number; value: unknown; produced: [string, number, number][]; acked: [string, number][] }) => {
      for (const [k, b, s] of m.produced) onProduced(k, b, s);
      for (const [k, n] of m.acked) this.onAcked?.(k, n);
      this.waiting.get(m.id)?.(m.value);
      this.waiting.delete(m.id);
    });
    w.on("error", (e) => {
      for (const r of this.waiting.values()) r(Promise.reject(e));
      this.waiting.clear();
    });
  }

  static async start(specs: SiteSpec[], broker: { host: string; port: number }, onProduced: (key: string, b: number, s: number) => void, replyWaitMs?: number): Promise<WorkerRunner> {
    // A young generation of 96 MB (semi-spaces of 32 MB; V8's default is 16): with 50 boards on a thread, most of
    // what a slice allocates dies within it, and with the default size it was promoted and collected by full GCs
    // (bench/sim.bench.ts: 100 sites x 4 h went from 72 s to 50 s, peak memory from 1.2 to 0.94 GB). 192 MB was no
    // faster once the site models stopped keeping every minute of their run, and held 110 MB more at the peak
    // (100 sites x 3 h, 2 workers: 596-600 MB against 480-491 MB, the same CPU time within the machine's noise).
    const w = new Worker(new URL("./worker-boot.mjs", import.meta.url), { workerData: { specs, broker, replyWaitMs }, resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } });
    return new WorkerRunner(w, onProduced);
  }

  private call(op: string, arg?: unknown): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.w.postMessage({ id, op, arg });
    });
  }

  async powerOn(): Promise<void> {
    await this.call("powerOn");
  }

  async apply(f: ScheduledFault): Promise<void> {
    await this.call("apply", f);
  }

  async runUntil(ms: number): Promise<void> {
    await this.call("run", ms);
  }

  async counts(): Promise<RunCounts> {
    return (await this.call("counts")) as RunCounts;
  }

  async queued(): Promise<[string, number, number, number][]> {
    return (await this.call("queued")) as [string, number, number, number][];
  }

  async close(): Promise<void> {
    await this.w.terminate();
  }
}

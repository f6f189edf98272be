// Password verifications wait here for one of a few slots. scrypt runs in libuv's thread pool (4 threads unless
// UV_THREADPOOL_SIZE says otherwise), which the WAL's fsync also needs before a PUBACK can go (storage/wal-sync.ts):
// one verification at a time leaves the pool, and a core, to the nodes. Waiting verifications are served in turn
// by remote address (round robin), so a flood from one address delays another address's login by at most one
// verification per other waiting address; the queue is bounded in all and per address, and refuses beyond that.

export interface VerifyQueueOptions {
  /** Verifications running at once. */
  concurrency: number;
  /** Waiting at most, all addresses together. */
  maxQueued: number;
  /** Running or waiting at most per remote address. */
  maxPerSource: number;
}

export class VerifyQueue {
  private running = 0;
  private queued = 0;
  /** Waiting jobs per address; the map's order is the order of turns. */
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly perSource = new Map<string, number>();

  constructor(private readonly o: VerifyQueueOptions) {}

  /** Runs `job` in its address's turn; undefined (and `job` is not run) when the queue or the address is full. */
  submit<T>(source: string, job: () => Promise<T>): Promise<T> | undefined {
    const mine = this.perSource.get(source) ?? 0;
    if (mine >= this.o.maxPerSource) return undefined;
    if (this.running >= this.o.concurrency && this.queued >= this.o.maxQueued) return undefined;
    this.perSource.set(source, mine + 1);
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.running++;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            const n = (this.perSource.get(source) ?? 1) - 1;
            if (n > 0) this.perSource.set(source, n);
            else this.perSource.delete(source);
            this.next();
          });
      };
      const list = this.waiting.get(source);
      if (list) list.push(run);
      else this.waiting.set(source, [run]);
      this.queued++;
      this.next();
    });
  }

  /** Running and waiting verifications (for tests and gauges). */
  get depth(): number {
    return this.running + this.queued;
  }

  private next(): void {
    while (this.running < this.o.concurrency && this.waiting.size > 0) {
      const [source, list] = this.waiting.entries().next().value as [string, (() => void)[]];
      const run = list.shift()!;
      this.waiting.delete(source);
      if (list.length > 0) this.waiting.set(source, list); // to the back of the turns
      this.queued--;
      run();
    }
  }
}

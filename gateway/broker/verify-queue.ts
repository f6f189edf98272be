// Password verifications wait here for one of a few slots. scrypt runs in libuv's thread pool (4 threads unless
// UV_THREADPOOL_SIZE says otherwise), which the WAL's fsync also needs before a PUBACK can go (storage/wal-sync.ts):
// one verification at a time leaves the pool, and a core, to the nodes. The queue is bounded in all and per remote
// address, so a flood from one address is refused at once and cannot push a real node's login to the back.

export interface VerifyQueueOptions {
  /** Verifications running at once. */
  concurrency: number;
  /** Waiting at most, all addresses together. */
  maxQueued: number;
  /** Running or waiting at most per remote address. */
  maxPerSource: number;
}

interface Job {
  source: string;
  run: () => void;
}

export class VerifyQueue {
  private running = 0;
  private readonly waiting: Job[] = [];
  private readonly perSource = new Map<string, number>();

  constructor(private readonly o: VerifyQueueOptions) {}

  /** Runs `job` when a slot is free; undefined (and `job` is not run) when the queue or the address is full. */
  submit<T>(source: string, job: () => Promise<T>): Promise<T> | undefined {
    const mine = this.perSource.get(source) ?? 0;
    if (mine >= this.o.maxPerSource) return undefined;
    if (this.running >= this.o.concurrency && this.waiting.length >= this.o.maxQueued) return undefined;
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
      this.waiting.push({ source, run });
      this.next();
    });
  }

  /** Running and waiting verifications (for tests and gauges). */
  get depth(): number {
    return this.running + this.waiting.length;
  }

  private next(): void {
    while (this.running < this.o.concurrency && this.waiting.length > 0) this.waiting.shift()!.run();
  }
}

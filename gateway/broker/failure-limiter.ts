// Failed logins per key (a remote address, a user name): after `threshold` failures the key waits out a back-off
// that doubles with each further failure, up to `maxMs`; a success or `forgetMs` without failures clears it.
// The map holds at most `maxKeys` keys (the oldest go first), so a stream of new keys cannot grow it without end.

export interface LimiterOptions {
  threshold: number;
  baseMs: number;
  maxMs: number;
  forgetMs: number;
  maxKeys: number;
}

interface Entry {
  failures: number;
  until: number;
  last: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly o: LimiterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds left in the back-off of `key`; 0 when it may try. */
  blockedFor(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const t = this.now();
    if (t - e.last > this.o.forgetMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, e.until - t);
  }

  fail(key: string): void {
    const t = this.now();
    const old = this.entries.get(key);
    const failures = old && t - old.last <= this.o.forgetMs ? old.failures + 1 : 1;
    const over = failures - this.o.threshold;
    const until = over >= 0 ? t + Math.min(this.o.maxMs, this.o.baseMs * 2 ** Math.min(over, 30)) : 0;
    this.entries.delete(key); // re-inserted last: the map stays in order of last failure
    this.entries.set(key, { failures, until, last: t });
    while (this.entries.size > this.o.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

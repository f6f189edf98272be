// Honest time (DESIGN.md guarantee 4): uptime and boot counter until the gateway has set the clock, wall-clock
// time after. getTime() on the interpreter jumps when setTime() is called, so uptime is kept apart from it.

/** Unix seconds before which a clock is taken as never set (2020-09-13). */
export const wallClockFloor = 1.6e9;

export class NodeClock {
  /** getTime() at uptime 0, moved by every jump that setTime() makes. */
  t0: number;
  synced: boolean;

  constructor(private get: () => number, private set: (t: number) => void) {
    const now = get();
    // A soft reboot keeps the real-time clock: a time after the floor was set before and is still right.
    this.synced = now > wallClockFloor;
    this.t0 = now;
  }

  uptime(): number {
    return this.get() - this.t0;
  }

  /** Wall-clock Unix seconds, or undefined while the clock is not set. */
  wall(): number | undefined {
    return this.synced ? this.get() : undefined;
  }

  /** The time anchor for a batch or event: wall clock when set (ts 1), else uptime (ts 0). */
  stamp(): { t: number; ts: 0 | 1 } {
    return this.synced ? { t: this.get(), ts: 1 } : { t: this.uptime(), ts: 0 };
  }

  /** Set the wall clock; returns the offset wall - uptime (seconds) the gateway uses to re-anchor. */
  sync(unixSeconds: number): number {
    const before = this.get();
    this.set(unixSeconds);
    this.t0 += unixSeconds - before;
    this.synced = true;
    return unixSeconds - this.uptime();
  }
}

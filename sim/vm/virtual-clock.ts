// A virtual clock: timers fire in time order as fast as the CPU allows. Each timer has an owner so that a reboot
// of the virtual board can drop the firmware's timers while the device models' timers go on.

export type TimerOwner = "firmware" | "device" | "system";

interface Timer {
  id: number;
  dueMs: number;
  seq: number;
  repeatMs: number;
  owner: TimerOwner;
  callback: () => void;
}

export class VirtualClock {
  nowMs = 0;
  private timers: Timer[] = [];
  private nextId = 1;
  private seq = 0;

  schedule(delayMs: number, callback: () => void, owner: TimerOwner = "device", repeatMs = 0): number {
    const timer: Timer = { id: this.nextId++, dueMs: this.nowMs + Math.max(0, delayMs || 0), seq: this.seq++, repeatMs, owner, callback };
    this.insert(timer);
    return timer.id;
  }

  cancel(id: number): boolean {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  /** Change a repeating timer's period, counted from now (Espruino's changeInterval). */
  changeInterval(id: number, repeatMs: number): boolean {
    const t = this.timers.find((x) => x.id === id);
    if (!t) return false;
    this.cancel(id);
    t.repeatMs = repeatMs;
    t.dueMs = this.nowMs + repeatMs;
    this.insert(t);
    return true;
  }

  cancelOwner(owner: TimerOwner): void {
    this.timers = this.timers.filter((t) => t.owner !== owner);
  }

  count(owner?: TimerOwner): number {
    return owner ? this.timers.filter((t) => t.owner === owner).length : this.timers.length;
  }

  nextDueMs(): number | undefined {
    return this.timers.length > 0 ? this.timers[0].dueMs : undefined;
  }

  /** Advance to the earliest timer (if due by `limitMs`) and run it. Returns false when none was due. */
  runNext(limitMs: number): boolean {
    const t = this.timers[0];
    if (!t || t.dueMs > limitMs) return false;
    this.timers.shift();
    if (t.dueMs > this.nowMs) this.nowMs = t.dueMs;
    if (t.repeatMs > 0) {
      t.dueMs += t.repeatMs;
      t.seq = this.seq++;
      this.insert(t);
    }
    t.callback();
    return true;
  }

  private insert(t: Timer): void {
    // binary search on (dueMs, seq): timers due at the same instant run in the order they were set
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.timers[mid];
      if (m.dueMs < t.dueMs || (m.dueMs === t.dueMs && m.seq < t.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, t);
  }
}

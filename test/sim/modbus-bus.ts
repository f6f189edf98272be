// A virtual RS-485 bus for the Modbus tests: a virtual clock with timers, the firmware's SerialPort end and a
// SerialLine for each device model (sim/devices/types.ts). Stands in for the virtual Espruino.
import type { Clock, SerialPort } from "../../firmware/hal/types";
import type { Timers } from "../../firmware/drivers/modbus-master";
import type { SerialDevice, SerialLine } from "../../sim/devices/types";

interface Job {
  at: number;
  seq: number;
  cb: () => void;
}

export class VirtualBus {
  now_ms = 0;
  private jobs: Job[] = [];
  private seq = 0;
  private rx: ((d: string) => void)[] = [];
  private writers: ((bytes: string) => void)[] = [];
  /** Every write of the firmware with its time, and every DE change. */
  readonly written: { t: number; bytes: string }[] = [];
  readonly de: { t: number; on: boolean }[] = [];
  readonly received: { t: number; bytes: string }[] = [];

  readonly clock: Clock = { seconds: () => this.now_ms / 1000 };

  readonly timers: Timers = {
    set: (cb, ms) => this.at(this.now_ms + Math.max(0, ms), cb),
    clear: (id) => {
      this.jobs = this.jobs.filter((j) => j !== id);
    },
  };

  /** setTimeout / clearTimeout on the virtual clock, extra arguments passed to the callback (modbus-reader). */
  readonly setTimer = (cb: (...a: any[]) => void, ms: number, ...args: any[]): unknown => this.at(this.now_ms + Math.max(0, ms), () => cb(...args));
  readonly clearTimer = (id: unknown): void => {
    this.jobs = this.jobs.filter((j) => j !== id);
  };

  readonly port: SerialPort = {
    setup: () => undefined,
    write: (data) => {
      const bytes = typeof data === "string" ? data : String.fromCharCode(...Array.from(data));
      this.written.push({ t: this.now_ms, bytes });
      for (const w of this.writers) w(bytes);
    },
    on: (_event, cb) => {
      this.rx.push(cb);
    },
  };

  setDriverEnable = (on: boolean): void => {
    this.de.push({ t: this.now_ms, on });
  };

  attach(device: SerialDevice): void {
    const line: SerialLine = {
      sendToFirmware: (bytes) => {
        this.received.push({ t: this.now_ms, bytes });
        for (const cb of this.rx) cb(bytes);
      },
      onFirmwareWrite: (cb) => {
        this.writers.push(cb);
      },
      now: () => this.now_ms / 1000,
      schedule: (delayMs, cb) => {
        this.at(this.now_ms + delayMs, cb);
      },
    };
    device.attach(line);
  }

  private at(t: number, cb: () => void): Job {
    const j = { at: t, seq: this.seq++, cb };
    this.jobs.push(j);
    return j;
  }

  /** Runs timers in time order until none is left before `until` (ms), or the queue is empty. */
  run(until = Infinity): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      let best: Job | null = null;
      for (const j of this.jobs) if (!best || j.at < best.at || (j.at === best.at && j.seq < best.seq)) best = j;
      if (!best || best.at > until) break;
      this.jobs = this.jobs.filter((j) => j !== best);
      this.now_ms = Math.max(this.now_ms, best.at);
      best.cb();
    }
    if (until !== Infinity) this.now_ms = Math.max(this.now_ms, until);
  }

  /** Runs until cb has been called (the test's own completion flag), with a time limit. */
  runUntil(done: () => boolean, limit_ms = 60_000): void {
    const end = this.now_ms + limit_ms;
    while (!done() && this.now_ms < end) this.run(this.now_ms + 1);
  }
}

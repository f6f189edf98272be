// Modbus RTU master for the Node tools and the simulator's tests: every function code of modbus-rtu.ts (reads,
// FC 06/10 writes, broadcasts), any number of slaves and SunSpec discovery (modbus-poll.ts). The board runs
// the much smaller modbus-reader.ts, which only polls one map. One request in flight on a SerialPort, RS-485
// driver enable by hand, response timeout and retries, counters and data quality per slave. Framing and
// parsing are in modbus-frame.ts / modbus-rtu.ts; timers and the clock are passed in (docs/style.md 5).

import { Clock, SerialPort } from "../hal/types";
import { CUT_RESPONSES, RtuFramer } from "./modbus-frame";
import {
  E_COUNT, E_EXCEPTION, E_TIMEOUT, OK, parseResponse, readRequest, Reply, writeMultipleRequest, writeSingleRequest,
} from "./modbus-rtu";

/** setTimeout/clearTimeout behind an interface, so tests and the simulator can run on a virtual clock. */
export interface Timers {
  set(cb: () => void, ms: number): any;
  clear(id: any): void;
}

export interface MasterOptions {
  port: SerialPort;
  baud: number;
  clock: Clock;
  /** RS-485 driver enable (DE, usually tied to /RE). docs/espruino.md: Serial.setup has no DE pin. */
  de?: (on: boolean) => void;
  timers?: Timers;
  /** Bits per character: 10 for 8N1 (default), 11 for 8E1 / 8N2. */
  bits?: number;
  /** Response timeout after the request has left the UART, ms (default 300). */
  timeout_ms?: number;
  /** Further attempts after a timeout or a rejected answer (default 2). */
  retries?: number;
  /** Pause before the next request or retry, and after a broadcast, ms (default 5; MOSL §2.4.1 asks 100+ after a broadcast). */
  turnaround_ms?: number;
  /** Consecutive failed transactions after which a slave's data is failed rather than stale (default 3). */
  failAfter?: number;
}

// Counter slots per slave. 1..8 count attempts by rejection code (modbus-rtu E_*), exceptions included.
export const C_OK = 0;
export const C_FAILED = 9; // transactions given up after every retry
export const C_RETRY = 10;
const C_RUN = 11; // consecutive failed transactions (state, not a counter)
export const COUNTER_NAMES = ["ok", "truncated", "crc", "wrong slave", "wrong function", "byte count", "echo mismatch",
  "exception", "timeout", "failed", "retries"];

export const Q_OK = 0;
export const Q_STALE = 1;
export const Q_FAILED = 2;
export const QUALITY_NAMES = ["ok", "stale", "failed"];

interface Tx {
  s: number; // slave
  a: Uint8Array; // request ADU
  cb: (r: Reply) => void;
  n: number; // attempts made
}

const GLOBAL_TIMERS: Timers = {
  set: function (cb, ms) {
    return setTimeout(cb, ms);
  },
  clear: function (id) {
    clearTimeout(id);
  },
};

export class ModbusMaster {
  o: MasterOptions;
  tm: Timers;
  fr: RtuFramer;
  q: Tx[] = []; // waiting transactions
  cur: Tx | null = null; // the transaction in flight (kept through the turnaround pause)
  rt: any = null; // response timer, set only while an answer is awaited
  st: any = null; // silence timer
  c: { [slave: number]: Uint32Array } = {};
  stray = 0; // bytes received with no request in flight

  constructor(o: MasterOptions) {
    this.o = o;
    this.tm = o.timers || GLOBAL_TIMERS;
    this.fr = new RtuFramer(o.baud, CUT_RESPONSES, o.bits || 10);
  }

  /** Listens on the port. The port itself is set up by the board wiring. */
  start(): void {
    this.o.port.on("data", (d) => {
      this.rx(d);
    });
  }

  /** Queues a request ADU; cb gets the answer, or the last rejection (e) once every retry has failed. */
  request(slave: number, adu: Uint8Array, cb: (r: Reply) => void): void {
    this.q.push({ s: slave, a: adu, cb: cb, n: 0 });
    if (!this.cur) this.next();
  }

  read(slave: number, fc: number, start: number, qty: number, cb: (r: Reply) => void): void {
    this.send(slave, readRequest(slave, fc, start, qty), cb);
  }

  writeSingle(slave: number, reg: number, value: number, cb: (r: Reply) => void): void {
    this.send(slave, writeSingleRequest(slave, reg, value), cb);
  }

  writeMultiple(slave: number, start: number, values: ArrayLike<number>, cb: (r: Reply) => void): void {
    this.send(slave, writeMultipleRequest(slave, start, values), cb);
  }

  /** Counters of one slave by name, with its quality. */
  stats(slave: number): { [name: string]: number | string } {
    const c = this.counters(slave);
    const out: { [name: string]: number | string } = { quality: QUALITY_NAMES[this.quality(slave)] };
    for (let i = 0; i < COUNTER_NAMES.length; i++) out[COUNTER_NAMES[i]] = c[i];
    return out;
  }

  /** ok after an answer; stale while failing fewer than failAfter times in a row; failed before the first answer and after that. */
  quality(slave: number): number {
    const c = this.counters(slave);
    if (c[C_RUN] === 0 && (c[C_OK] || c[E_EXCEPTION])) return Q_OK;
    return c[C_RUN] < (this.o.failAfter || 3) && (c[C_OK] || c[E_EXCEPTION]) ? Q_STALE : Q_FAILED;
  }

  counters(slave: number): Uint32Array {
    return this.c[slave] || (this.c[slave] = new Uint32Array(12));
  }

  // A request the builder refused (arguments outside the specification) is answered E_COUNT, never sent.
  send(slave: number, adu: Uint8Array | null, cb: (r: Reply) => void): void {
    if (adu) this.request(slave, adu, cb);
    else this.tm.set(() => {
      cb({ e: E_COUNT, s: slave, f: -1 });
    }, 0);
  }

  next(): void {
    this.cur = this.q.shift() || null;
    if (this.cur) this.attempt();
  }

  attempt(): void {
    const t = this.cur as Tx;
    const o = this.o;
    t.n++;
    this.fr.reset();
    // The request has left once its last stop bit is out: bytes x bits / baud, plus one character of margin.
    // Dropping DE earlier cuts the request; much later and the slave's first bytes are lost (it may answer
    // 3.5 characters after the request, MOSL §2.5.1.1).
    const tx_ms = ((t.a.length + 1) * (o.bits || 10) * 1000) / o.baud;
    if (o.de) o.de(true);
    o.port.write(t.a);
    if (o.de) this.tm.set(() => {
      (o.de as (on: boolean) => void)(false);
    }, Math.ceil(tx_ms));
    if (t.s === 0) {
      // Broadcast: no answer (MOSL §2.1)
      this.rt = this.tm.set(() => {
        this.done({ e: OK, s: 0, f: t.a[1] });
      }, Math.ceil(tx_ms) + (o.turnaround_ms || 5));
      return;
    }
    this.rt = this.tm.set(() => {
      this.rt = null;
      this.reject(E_TIMEOUT);
    }, Math.ceil(tx_ms) + (o.timeout_ms || 300));
  }

  rx(d: string): void {
    if (!this.cur || this.rt === null) {
      this.stray += d.length;
      return;
    }
    this.fr.push(d, this.o.clock.seconds() * 1000, (f) => {
      this.frame(f);
    });
    this.armSilence();
  }

  // When bytes are pending, look again once the line has been silent for a frame gap.
  armSilence(): void {
    if (this.st !== null) this.tm.clear(this.st);
    this.st = null;
    if (!this.fr.b.length) return;
    this.st = this.tm.set(() => {
      this.st = null;
      const now = this.o.clock.seconds() * 1000;
      if (this.fr.due(now) > 0) this.armSilence();
      else this.fr.flush((f) => {
        this.frame(f);
      });
    }, Math.ceil(this.fr.due(this.o.clock.seconds() * 1000)) || 1);
  }

  frame(f: string): void {
    const t = this.cur;
    if (!t || this.rt === null) {
      this.stray += f.length;
      return;
    }
    const r = parseResponse(f, t.a);
    if (r.e === OK || r.e === E_EXCEPTION) this.done(r);
    else this.reject(r.e);
  }

  // One attempt failed for reason e: retry after the turnaround, or give up.
  reject(e: number): void {
    const t = this.cur as Tx;
    const c = this.counters(t.s);
    c[e]++;
    this.stop();
    if (t.n <= (this.o.retries === undefined ? 2 : this.o.retries)) {
      c[C_RETRY]++;
      this.tm.set(() => {
        this.attempt();
      }, this.o.turnaround_ms || 5);
      return;
    }
    c[C_FAILED]++;
    c[C_RUN]++;
    this.finish(t, { e: e, s: t.s, f: t.a[1] });
  }

  done(r: Reply): void {
    const t = this.cur as Tx;
    const c = this.counters(t.s);
    this.stop();
    c[r.e === OK ? C_OK : E_EXCEPTION]++;
    c[C_RUN] = 0;
    this.finish(t, r);
  }

  stop(): void {
    if (this.rt !== null) this.tm.clear(this.rt);
    if (this.st !== null) this.tm.clear(this.st);
    this.rt = this.st = null;
    this.fr.reset();
  }

  // The next transaction starts after the turnaround; the callback runs after that is scheduled, so an error
  // thrown by the callback cannot stall the bus.
  finish(t: Tx, r: Reply): void {
    this.tm.set(() => {
      this.next();
    }, this.o.turnaround_ms || 5);
    t.cb(r);
  }
}

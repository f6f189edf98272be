// A Modbus RTU slave device model (charge controller, inverter) on a virtual UART / RS-485 line.
// It frames requests from the firmware's bytes, answers FC 01/02/03/04/05/06/10 and 2B/0E from its banks
// after a response delay on the virtual clock, and refuses what a real device refuses (exception 02 for an
// unmapped register: an EPEver answers FC 03 on 0x3xxx that way). Faults can be switched at run time.
// References: MAP §6 (functions), §7 (exceptions); MOSL §2.5.1 (framing), §2.1 (broadcast: no answer).

import { CUT_REQUESTS, RtuFramer } from "../../firmware/drivers/modbus-frame";
import {
  adu, FC_DEVICE_ID, FC_READ_COILS, FC_READ_DISCRETE, FC_READ_HOLDING, FC_READ_INPUT, FC_WRITE_COIL, FC_WRITE_MULTIPLE,
  FC_WRITE_SINGLE, MEI_DEVICE_ID, OK, parseRequest, Req, E_FUNC, E_COUNT, crcOk,
} from "../../firmware/drivers/modbus-rtu";
import type { SerialDevice, SerialLine } from "./types";

/** none; unplugged: never answers; garbage: random bytes instead of the answer; truncated: the answer stops
 * early; badCrc: the answer's CRC is wrong; slow: answers after slow_ms (beyond a master's timeout). */
export type SlaveFault = "none" | "unplugged" | "garbage" | "truncated" | "badCrc" | "slow";

export interface ModbusSlaveOptions {
  id: number;
  baud?: number; // default 115200 (EPEver)
  bits?: number; // bits per character, default 10 (8N1)
  delay_ms?: number; // from the end of a request to the first byte of the answer, default 10
  slow_ms?: number; // the same in the "slow" fault, default 2000
  chunk?: number; // deliver answers in chunks of this many bytes, each when its last byte has arrived (0: at once)
  seed?: number; // garbage generator
  deviceId?: { [objectId: number]: string }; // FC 2B/0E objects; without it FC 2B is an illegal function
  conformity?: number; // FC 2B/0E conformity level byte, default 0x01 (basic, stream access only)
}

export interface SlaveStats {
  requests: number; // frames addressed to this slave (or broadcast) with a good CRC
  answered: number; // answers sent (exceptions and faulty answers included)
  exceptions: number;
  badFrames: number; // frames whose CRC or length was wrong: dropped silently (MOSL §2.4.1)
  busy: number; // requests dropped while an answer was still pending
  faulted: number; // answers withheld or spoiled by the active fault
}

export class ModbusSlave implements SerialDevice {
  readonly id: number;
  readonly input = new Map<number, number>();
  readonly holding = new Map<number, number>();
  readonly coils = new Map<number, number>();
  readonly discrete = new Map<number, number>();
  fault: SlaveFault = "none";
  readonly stats: SlaveStats = { requests: 0, answered: 0, exceptions: 0, badFrames: 0, busy: 0, faulted: 0 };
  /** Called before a request to this slave is executed: a device model brings its registers up to date here. */
  onRequest: (() => void) | undefined;
  private readonly o: Required<Omit<ModbusSlaveOptions, "deviceId">> & { deviceId?: { [id: number]: string } };
  private line: SerialLine | null = null;
  private framer: RtuFramer;
  private pending = false;
  private seed: number;

  constructor(o: ModbusSlaveOptions) {
    this.id = o.id;
    this.o = { baud: 115200, bits: 10, delay_ms: 10, slow_ms: 2000, chunk: 0, seed: 1, conformity: 0x01, ...o };
    this.framer = new RtuFramer(this.o.baud, CUT_REQUESTS, this.o.bits);
    this.seed = this.o.seed;
  }

  attach(line: SerialLine): void {
    this.line = line;
    line.onFirmwareWrite((bytes) => this.receive(bytes));
  }

  /** Switches a fault on (or "none" off) at run time. */
  setFault(f: SlaveFault): void {
    this.fault = f;
  }

  private receive(bytes: string): void {
    const line = this.line as SerialLine;
    const onFrame = (f: string) => this.onFrame(f);
    this.framer.push(bytes, line.now() * 1000, onFrame);
    if (this.framer.b.length) {
      line.schedule(Math.max(1, Math.ceil(this.framer.due(line.now() * 1000))), () => {
        this.framer.poll(line.now() * 1000, onFrame);
      });
    }
  }

  private onFrame(f: string): void {
    if (this.fault === "unplugged") {
      this.stats.faulted++;
      return;
    }
    const reply = this.answer(f);
    if (reply === null) return;
    if (this.pending) {
      this.stats.busy++;
      return;
    }
    this.send(reply);
  }

  /**
   * The answer to one request frame as a binary string, or null when a real slave stays silent (bad CRC or
   * length, another slave's address, broadcast). Pure apart from the bank writes and the counters.
   */
  answer(f: string): string | null {
    const q = parseRequest(f);
    // A well-framed FC 10 whose byte count disagrees with its quantity is answered exception 03 (MAP §6.12).
    const badCount = q.e === E_COUNT && q.f === FC_WRITE_MULTIPLE && crcOk(f);
    if (q.e !== OK && q.e !== E_FUNC && !badCount) {
      if (q.s === this.id || q.s === 0) this.stats.badFrames++;
      return null;
    }
    if (q.s !== this.id && q.s !== 0) return null;
    this.stats.requests++;
    this.onRequest?.();
    const r = this.execute(q);
    if (q.s === 0) return null;
    if (r.length === 1) this.stats.exceptions++;
    return bin(adu(r.length === 1 ? [this.id, q.f | 0x80, r[0]] : [this.id, q.f].concat(r)));
  }

  // The PDU data of the answer, or [exception code].
  private execute(q: Req): number[] {
    if (q.e === E_COUNT) return [3];
    switch (q.e === OK ? q.f : -1) {
      case FC_READ_COILS:
      case FC_READ_DISCRETE:
        return this.readBits(q.f === FC_READ_COILS ? this.coils : this.discrete, q.a, q.q);
      case FC_READ_HOLDING:
      case FC_READ_INPUT:
        return this.readRegs(q.f === FC_READ_HOLDING ? this.holding : this.input, q.a, q.q);
      case FC_WRITE_SINGLE:
        if (!this.holding.has(q.a)) return [2];
        this.holding.set(q.a, q.q);
        return [q.a >> 8, q.a & 0xff, q.q >> 8, q.q & 0xff];
      case FC_WRITE_COIL:
        if (q.q !== 0 && q.q !== 0xff00) return [3];
        if (!this.coils.has(q.a)) return [2];
        this.coils.set(q.a, q.q ? 1 : 0);
        return [q.a >> 8, q.a & 0xff, q.q >> 8, q.q & 0xff];
      case FC_WRITE_MULTIPLE: {
        const v = q.v as Uint16Array;
        if (q.q < 1 || q.q > 123 || v.length !== q.q) return [3];
        for (let i = 0; i < q.q; i++) if (!this.holding.has(q.a + i)) return [2];
        v.forEach((x, i) => this.holding.set(q.a + i, x));
        return [q.a >> 8, q.a & 0xff, q.q >> 8, q.q & 0xff];
      }
      case FC_DEVICE_ID:
        return this.deviceId(q.a, q.q);
      default:
        return [1];
    }
  }

  private readRegs(bank: Map<number, number>, start: number, qty: number): number[] {
    if (qty < 1 || qty > 125) return [3];
    const out = [qty * 2];
    for (let a = start; a < start + qty; a++) {
      const v = bank.get(a);
      if (v === undefined) return [2];
      out.push(v >> 8, v & 0xff);
    }
    return out;
  }

  private readBits(bank: Map<number, number>, start: number, qty: number): number[] {
    if (qty < 1 || qty > 2000) return [3];
    const out = [(qty + 7) >> 3];
    for (let i = 0; i < qty; i++) {
      const v = bank.get(start + i);
      if (v === undefined) return [2];
      if ((i & 7) === 0) out.push(0);
      if (v) out[out.length - 1] |= 1 << (i & 7);
    }
    return out;
  }

  // MAP §6.21, stream access (codes 1-3) and individual access (code 4); objects in one answer.
  private deviceId(code: number, first: number): number[] {
    const objs = this.o.deviceId;
    if (!objs) return [1];
    if (code < 1 || code > 4) return [3];
    const ids = Object.keys(objs).map(Number).filter((id) => (code === 4 ? id === first : id >= first)).sort((a, b) => a - b);
    if (!ids.length) return [2];
    const out = [MEI_DEVICE_ID, code, this.o.conformity, 0, 0, ids.length];
    for (const id of ids) {
      const s = objs[id];
      out.push(id, s.length);
      for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
    }
    return out;
  }

  // Sends an answer after the response delay, spoiled by the active fault, at the line's character rate.
  private send(reply: string): void {
    const line = this.line as SerialLine;
    let bytes = reply;
    let delay = this.o.delay_ms;
    if (this.fault !== "none") this.stats.faulted++;
    if (this.fault === "garbage") bytes = this.garbage(3 + (this.rand() % 12));
    else if (this.fault === "truncated") bytes = reply.slice(0, Math.max(1, reply.length >> 1));
    else if (this.fault === "badCrc") bytes = reply.slice(0, -1) + String.fromCharCode(reply.charCodeAt(reply.length - 1) ^ 0x5a);
    else if (this.fault === "slow") delay = this.o.slow_ms;
    this.stats.answered++;
    this.pending = true;
    const char_ms = (this.o.bits * 1000) / this.o.baud;
    const step = this.o.chunk > 0 ? this.o.chunk : bytes.length;
    for (let i = 0; i < bytes.length; i += step) {
      const part = bytes.slice(i, i + step);
      const last = i + step >= bytes.length;
      line.schedule(delay + (i + part.length) * char_ms, () => {
        line.sendToFirmware(part);
        if (last) this.pending = false;
      });
    }
  }

  private rand(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed >>> 16;
  }

  private garbage(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.rand() & 0xff);
    return s;
  }
}

function bin(a: Uint8Array): string {
  let s = "";
  for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
  return s;
}

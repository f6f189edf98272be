// I2C traffic for INA226 / INA219 feeders: setup (identify, reset, configuration, CAL), reads, quality and
// counters. Decoding is in ina226.ts / ina219.ts. Espruino's I2C readFrom/writeTo throw on NACK or timeout; every
// bus access here is inside a try, so a missing chip is a counted failure, never an exception to the caller.
//
// Quality (style.md 12): a feeder that fails setup or gives the wrong ID is FAILED, and the next read tries the
// setup again (that read gives nothing: no conversion can have finished yet). A read that throws is a warning
// (STALE) that clears on the next good read; 3 in a row make the feeder FAILED. A chip that reports no finished
// conversion for more than `stale` reads in a row (stuck ADC) is FAILED, and stays so after a new setup until a
// conversion finishes. Only a read with a new conversion makes a feeder OK again.
// A CAL register that no longer holds our value means the chip was reset (brown-out): it is set up again and
// that reading dropped, since its current and power registers read zero without CAL.

import { I2CBus } from "../hal/types";
import { INA226_CVRF, INA226_REG, InaCal, InaReading, ina226Calibrate, ina226Config, ina226Decode, ina226Identify } from "./ina226";
import { INA219_CNVR, INA219_POR, ina219Calibrate, ina219Config, ina219Decode } from "./ina219";

/** One shunt and the chip that measures it. */
export interface InaFeeder {
  /** 7-bit I2C address, 0x40..0x4F. */
  addr: number;
  /** 226 or 219. */
  chip: number;
  shunt_ohm: number;
  /** Largest current to measure; sets Current_LSB = max_A / 2^15. */
  max_A: number;
  /** Configuration word (ina226Config / ina219Config); default the chip's config for {}. */
  cfg?: number;
  /** Reads in a row without a finished conversion before the chip counts as stuck. Default 3. */
  stale?: number;
}

/** Quality letters as on the wire (DESIGN.md guarantee 5; firmware/protocol Quality): ok, stale, estimated, failed. */
export const Q_OK = "o";
export const Q_STALE = "s";
export const Q_ESTIMATED = "e";
export const Q_FAILED = "f";

/** Counters of one feeder since boot. */
export interface InaCounters {
  ok: number;
  err: number;
  setup: number;
  badId: number;
  recal: number;
  stale: number;
  stuck: number;
}

// Counter slots per feeder, in the order of InaCounters.
const C_OK = 0;
const C_ERR = 1;
const C_SETUP = 2;
const C_BADID = 3;
const C_RECAL = 4;
const C_STALE = 5;
const C_STUCK = 6;
const NC = 7;
const MAX_ERR = 3;
const REG = INA226_REG;

/** Reads one 16-bit register: pointer write, then two bytes MSB first. Throws what the bus throws. */
function rd(bus: I2CBus, a: number, reg: number): number {
  bus.writeTo(a, reg);
  const b = bus.readFrom(a, 2);
  return (b[0] << 8) | b[1];
}

/** Writes one 16-bit register: pointer and value in one transfer. */
function wr(bus: I2CBus, a: number, reg: number, v: number): void {
  bus.writeTo(a, [reg, (v >> 8) & 0xff, v & 0xff]);
}

export class InaPort {
  private b: I2CBus;
  private f: InaFeeder[];
  private c: (InaCal | undefined)[];
  private q: string[];
  /** Consecutive failed reads. */
  private e: Uint8Array;
  /** Consecutive reads without a finished conversion. */
  private s: Uint8Array;
  /** 0: to be set up; 1: set up, no conversion seen yet; 2: measuring. */
  private v: Uint8Array;
  private n: Uint32Array;
  private r: Uint8Array;

  constructor(bus: I2CBus, feeders: InaFeeder[]) {
    const k = feeders.length;
    this.b = bus;
    this.f = feeders;
    this.c = [];
    for (let i = 0; i < k; i++) {
      const d = feeders[i];
      this.c.push(d.chip === 219 ? ina219Calibrate(d.shunt_ohm, d.max_A) : ina226Calibrate(d.shunt_ohm, d.max_A));
    }
    this.q = [];
    for (let i = 0; i < k; i++) this.q.push(Q_FAILED); // nothing measured yet
    this.e = new Uint8Array(k);
    this.s = new Uint8Array(k);
    this.v = new Uint8Array(k);
    this.n = new Uint32Array(k * NC);
    this.r = new Uint8Array(8);
  }

  /** Sets up every feeder; returns how many answered correctly. */
  setupAll(): number {
    let ok = 0;
    for (let i = 0; i < this.f.length; i++) if (this.setup(i)) ok++;
    return ok;
  }

  /**
   * Identifies the chip, resets it, writes configuration and CAL and reads both back.
   * INA226: manufacturer and die ID registers. INA219 (no ID registers): the configuration word after reset
   * must be the power-on value 0x399F (datasheet, Configuration Register 00h).
   */
  setup(i: number): boolean {
    const d = this.f[i];
    const cal = this.c[i];
    const a = d.addr;
    const bus = this.b;
    const is219 = d.chip === 219;
    this.n[i * NC + C_SETUP]++;
    this.v[i] = 0;
    if (!cal) return this.fail(i);
    try {
      if (!is219 && !ina226Identify(rd(bus, a, REG.manuf), rd(bus, a, REG.die))) {
        this.n[i * NC + C_BADID]++;
        return this.fail(i);
      }
      wr(bus, a, REG.config, 0x8000); // bit 15: reset every register to its power-on value
      if (is219 && rd(bus, a, REG.config) !== INA219_POR) {
        this.n[i * NC + C_BADID]++;
        return this.fail(i);
      }
      const cfg = d.cfg ?? (is219 ? ina219Config({}) : ina226Config({}));
      wr(bus, a, REG.config, cfg);
      wr(bus, a, REG.cal, cal.cal);
      if (rd(bus, a, REG.cal) !== cal.cal || (rd(bus, a, REG.config) & 0x3fff) !== (cfg & 0x3fff)) {
        this.n[i * NC + C_BADID]++;
        return this.fail(i);
      }
    } catch {
      this.n[i * NC + C_ERR]++;
      return this.fail(i);
    }
    // Quality is left as it was: it becomes OK with the first finished conversion.
    this.v[i] = 1;
    this.e[i] = 0;
    return true;
  }

  /** Reads feeder i. Undefined when there is no measurement to give; quality(i) says why. */
  read(i: number): InaReading | undefined {
    if (this.v[i] === 0) {
      this.setup(i);
      return undefined;
    }
    const d = this.f[i];
    const cal = this.c[i] as InaCal;
    const a = d.addr;
    const bus = this.b;
    const r = this.r;
    const base = i * NC;
    let fresh: boolean;
    try {
      // INA226: CVRF in Mask/Enable, cleared by this read. INA219: CNVR in the bus register, cleared by
      // reading the power register, which comes after it below.
      fresh = d.chip === 219 || (rd(bus, a, REG.mask) & INA226_CVRF) !== 0;
      for (let k = 0; k < 4; k++) {
        const w = rd(bus, a, REG.shunt + k);
        r[2 * k] = w >> 8;
        r[2 * k + 1] = w & 0xff;
      }
      if (d.chip === 219) fresh = (r[3] & INA219_CNVR) !== 0;
      if (rd(bus, a, REG.cal) !== cal.cal) {
        this.n[base + C_RECAL]++;
        if (this.setup(i)) this.q[i] = Q_STALE;
        return undefined;
      }
    } catch {
      this.n[base + C_ERR]++;
      if (this.e[i] < 255) this.e[i]++;
      if (this.e[i] >= MAX_ERR) this.fail(i);
      else if (this.q[i] !== Q_FAILED) this.q[i] = Q_STALE;
      return undefined;
    }
    this.e[i] = 0;
    this.n[base + C_OK]++;
    if (!fresh) {
      this.n[base + C_STALE]++;
      if (this.s[i] < 255) this.s[i]++;
      if (this.s[i] > (d.stale ?? 3)) {
        this.n[base + C_STUCK]++;
        this.fail(i);
        return undefined;
      }
      if (this.v[i] < 2) return undefined;
      this.q[i] = Q_STALE;
    } else {
      this.s[i] = 0;
      this.v[i] = 2;
    }
    const m = d.chip === 219 ? ina219Decode(r, cal) : ina226Decode(r, cal);
    if (fresh) this.q[i] = m.ovf ? Q_ESTIMATED : Q_OK;
    return m;
  }

  /** Marks feeder i failed, to be set up again on the next read. */
  private fail(i: number): boolean {
    this.q[i] = Q_FAILED;
    this.v[i] = 0;
    return false;
  }

  /**
   * Quality of feeder i: Q_OK, Q_STALE, Q_ESTIMATED or Q_FAILED. FAILED until the first finished conversion
   * after boot or after a failure.
   */
  quality(i: number): string {
    return this.q[i];
  }

  counters(i: number): InaCounters {
    const n = this.n;
    const o = i * NC;
    return {
      ok: n[o + C_OK],
      err: n[o + C_ERR],
      setup: n[o + C_SETUP],
      badId: n[o + C_BADID],
      recal: n[o + C_RECAL],
      stale: n[o + C_STALE],
      stuck: n[o + C_STUCK],
    };
  }
}

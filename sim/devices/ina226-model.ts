// A TI INA226 (or, with chip: 219, an INA219) on the virtual I2C bus: the register file, register pointer
// semantics, conversions on the virtual clock, and current/power computed from CAL as the chip does it
// (datasheets SBOS547 / SBOS448, docs/protocols.md "INA226 / INA219").
//
// Simplifications: a conversion takes the source's value at the instant it finishes (no averaging of the
// source over the window); only continuous modes (MODE 5-7) convert, other modes stop conversions; the alert
// logic of the INA226 is not modelled (the Mask/Enable and Alert registers just store their bits).

import { I2CDevice } from "./types";

/** What the shunt and bus carry at virtual time t (seconds). */
export type InaSource = (t: number) => { bus_V: number; current_A: number };

export interface InaModelOptions {
  /** 7-bit address; default 0x40. */
  address?: number;
  /** 226 (default) or 219. */
  chip?: number;
  shunt_ohm: number;
  source: InaSource;
  /** Virtual time in seconds. */
  now: () => number;
}

const INA226_AVG = [1, 4, 16, 64, 128, 256, 512, 1024];
const INA226_CT_US = [140, 204, 332, 588, 1100, 2116, 4156, 8244];
const INA219_ADC_US = [84, 148, 276, 532, 84, 148, 276, 532, 532, 1060, 2130, 4260, 8510, 17020, 34050, 68100];
const POR_226 = 0x4127;
const POR_219 = 0x399f;

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export class InaModel implements I2CDevice {
  readonly address: number;
  readonly chip: number;
  /** The chip does not answer: every transfer is NACKed (the virtual bus throws, and so does this model). */
  absent = false;
  /** The ADC has stopped: no conversion finishes, measurement registers keep their values. */
  stuck = false;
  /** Another part answers: INA226 ID registers read 0; an INA219 resets to the INA226 power-on config. */
  wrongId = false;

  private r = new Uint16Array(8);
  private ptr = 0;
  private t0 = 0;
  /** Index of the last conversion the registers hold (-1: none since the last restart). */
  private k = -1;
  private ready = false;
  private ovf = false;
  private opts: InaModelOptions;

  constructor(o: InaModelOptions) {
    this.opts = o;
    this.address = o.address ?? 0x40;
    this.chip = o.chip === 219 ? 219 : 226;
    this.powerCycle();
  }

  /** Power-on reset, as after a brown-out: every register to its default, CAL 0, conversions restart. */
  powerCycle(): void {
    this.r.fill(0);
    this.r[0] = this.chip === 219 ? (this.wrongId ? POR_226 : POR_219) : POR_226;
    this.ptr = 0;
    this.restart();
  }

  write(bytes: number[]): void {
    this.nack();
    if (bytes.length === 0) return;
    this.ptr = bytes[0] & 0xff;
    if (bytes.length >= 3) this.store(this.ptr, ((bytes[1] & 0xff) << 8) | (bytes[2] & 0xff));
  }

  read(quantity: number): number[] {
    this.nack();
    this.update();
    const v = this.regValue(this.ptr);
    const out: number[] = [];
    for (let i = 0; i < quantity; i++) out.push(i % 2 === 0 ? v >> 8 : v & 0xff);
    // Reading Mask/Enable clears CVRF (INA226); reading power clears CNVR (INA219).
    if ((this.chip === 226 && this.ptr === 6) || (this.chip === 219 && this.ptr === 3)) this.ready = false;
    return out;
  }

  /** Time between finished conversions for the current configuration, in seconds (Infinity when stopped). */
  period_s(): number {
    const c = this.r[0];
    if ((c & 7) < 5) return Infinity;
    if (this.chip === 219) return (INA219_ADC_US[(c >> 7) & 15] + INA219_ADC_US[(c >> 3) & 15]) / 1e6;
    return (INA226_AVG[(c >> 9) & 7] * (INA226_CT_US[(c >> 6) & 7] + INA226_CT_US[(c >> 3) & 7])) / 1e6;
  }

  private nack(): void {
    if (this.absent) throw new Error("I2C: no ACK from 0x" + this.address.toString(16));
  }

  private restart(): void {
    this.t0 = this.opts.now();
    this.k = -1;
    this.ready = false;
  }

  private store(reg: number, v: number): void {
    if (reg === 0) {
      if (v & 0x8000) return this.powerCycle(); // bit 15: reset every register
      // INA226 bits 14-12 are reserved (bit 14 reads 1 as at power-on); INA219 bit 14 is reserved.
      this.r[0] = this.chip === 226 ? (v & 0x0fff) | 0x4000 : v & 0x3fff;
      this.restart();
    } else if (reg === 5) {
      // CAL: INA226 bit 15 reserved; INA219 bit 0 void. Takes effect at the next conversion.
      this.r[5] = this.chip === 226 ? v & 0x7fff : v & 0xfffe;
    } else if (this.chip === 226 && reg === 6) {
      this.r[6] = v & 0xfc03; // flag bits 4-2 are read-only
    } else if (this.chip === 226 && reg === 7) {
      this.r[7] = v;
    }
  }

  private regValue(reg: number): number {
    if (reg === 0xfe) return this.chip === 226 && !this.wrongId ? 0x5449 : 0;
    if (reg === 0xff) return this.chip === 226 && !this.wrongId ? 0x2260 : 0;
    if (reg > 7 || (this.chip === 219 && reg > 5)) return 0;
    if (reg === 2 && this.chip === 219) return (this.r[2] << 3) | (this.ready ? 2 : 0) | (this.ovf ? 1 : 0);
    if (reg === 6) return this.r[6] | (this.ready ? 8 : 0) | (this.ovf ? 4 : 0);
    return this.r[reg];
  }

  /** Brings the measurement registers up to the last conversion finished by now. */
  private update(): void {
    const T = this.period_s();
    if (this.stuck || !(T < Infinity)) return;
    const k = Math.floor((this.opts.now() - this.t0) / T + 1e-9) - 1;
    if (k <= this.k) return;
    this.k = k;
    this.convert(this.opts.source(this.t0 + (k + 1) * T));
    this.ready = true;
  }

  private convert(s: { bus_V: number; current_A: number }): void {
    const r = this.r;
    const is219 = this.chip === 219;
    const vsh = s.current_A * this.opts.shunt_ohm;
    let sh: number;
    let bus: number;
    if (is219) {
      const fs = 4000 << ((r[0] >> 11) & 3); // PGA: +-40 mV * 2^PG in 10 µV counts
      sh = clamp(Math.round(vsh / 10e-6), -fs, fs);
      bus = clamp(Math.round(s.bus_V / 4e-3), 0, r[0] & 0x2000 ? 8000 : 4000);
    } else {
      sh = clamp(Math.round(vsh / 2.5e-6), -32768, 32767);
      bus = clamp(Math.round(s.bus_V / 1.25e-3), 0, 0x7fff);
    }
    // Current = Shunt * CAL / 2048 (INA226) or / 4096 (INA219); Power = |Current| * Bus / 20000 or / 5000.
    const cur = Math.trunc((sh * r[5]) / (is219 ? 4096 : 2048));
    const pw = Math.trunc((Math.abs(cur) * bus) / (is219 ? 5000 : 20000));
    this.ovf = cur > 32767 || cur < -32768 || pw > 0xffff;
    r[1] = sh & 0xffff;
    r[2] = bus;
    r[3] = clamp(pw, 0, 0xffff);
    r[4] = clamp(cur, -32768, 32767) & 0xffff;
  }
}

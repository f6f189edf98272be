// Aggregation of samples into report rows, and energy counters (DESIGN.md guarantees 3 and 5). Pure: the caller
// passes every sample with its time and quality; nothing here touches a bus or a clock.
import { ChannelDef } from "../protocol/channels";
import { Quality } from "../protocol/messages";
import { scaleToWire } from "../protocol/channels";

/** Energy counter key -> the power key it integrates, and which sign of that power counts. */
interface CounterSource {
  power: string;
  sign: number; // 1: positive power only, -1: negative power only (as a positive energy), 0: both signs as they are
}

export function counterSource(key: string): CounterSource | undefined {
  if (key === "battery_charge_Wh") return { power: "battery_W", sign: 1 };
  if (key === "battery_discharge_Wh") return { power: "battery_W", sign: -1 };
  if (key.length > 3 && key.substr(key.length - 3) === "_Wh") return { power: key.substr(0, key.length - 3) + "_W", sign: 0 };
  return undefined;
}

const qualityRank: { [q: string]: number } = { o: 0, e: 1, s: 2, f: 3 };

export interface SamplerOptions {
  channels: ChannelDef[];
  /** A power sample older than this (s) is not extended across the gap: the counter marks the interval estimated. */
  maxGapS: number;
  /** Energy totals to start from (Wh by counter key), e.g. restored from flash after a reboot. */
  energyWh?: { [key: string]: number };
}

/**
 * Sampler state. Quantities (distinct keys) are indexed; per quantity, typed arrays hold count, sum, min, max, last
 * and the worst quality seen in the interval (style.md 13: typed arrays, not arrays of objects).
 */
export class Sampler {
  ch: ChannelDef[];
  keys: string[];
  n: Uint16Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  last: Float64Array;
  lastT: Float64Array;
  hasLast: Uint8Array;
  worst: Uint8Array;
  failed: Uint8Array;
  wh: { [key: string]: number };
  whGap: { [key: string]: boolean };
  maxGapS: number;

  constructor(opts: SamplerOptions) {
    this.ch = opts.channels;
    this.maxGapS = opts.maxGapS;
    this.keys = [];
    this.wh = {};
    this.whGap = {};
    for (let i = 0; i < opts.channels.length; i++) {
      const c = opts.channels[i];
      if (c.agg === "counter") {
        this.wh[c.key] = (opts.energyWh && opts.energyWh[c.key]) || 0;
        const src = counterSource(c.key);
        if (src && this.keys.indexOf(src.power) < 0) this.keys.push(src.power);
      } else if (this.keys.indexOf(c.key) < 0) this.keys.push(c.key);
    }
    const k = this.keys.length;
    this.n = new Uint16Array(k);
    this.sum = new Float64Array(k);
    this.min = new Float64Array(k);
    this.max = new Float64Array(k);
    this.last = new Float64Array(k);
    this.lastT = new Float64Array(k);
    this.hasLast = new Uint8Array(k);
    this.worst = new Uint8Array(k);
    this.failed = new Uint8Array(k);
  }

  /** A sample of quantity `key` at time `t` (s). A failed or missing reading is `null` with quality "f" or "s". */
  add(key: string, value: number | null, quality: Quality, t: number): void {
    const i = this.keys.indexOf(key);
    if (i < 0) return;
    if (value === null || value !== value) {
      this.failed[i] = quality === "f" ? 1 : 0;
      if (qualityRank[quality] > this.worst[i]) this.worst[i] = qualityRank[quality];
      return;
    }
    this.failed[i] = 0;
    this.integrate(key, i, value, t);
    if (this.n[i] === 0 || value < this.min[i]) this.min[i] = value;
    if (this.n[i] === 0 || value > this.max[i]) this.max[i] = value;
    if (this.n[i] < 65535) this.n[i]++;
    this.sum[i] += value;
    this.last[i] = value;
    this.lastT[i] = t;
    this.hasLast[i] = 1;
    if (qualityRank[quality] > this.worst[i]) this.worst[i] = qualityRank[quality];
  }

  /** Trapezoidal integration of power into every counter that reads it (Wh = W * s / 3600). */
  private integrate(key: string, i: number, value: number, t: number): void {
    if (!this.hasLast[i]) return;
    const dt = t - this.lastT[i];
    if (!(dt > 0)) return;
    for (let c = 0; c < this.ch.length; c++) {
      const def = this.ch[c];
      if (def.agg !== "counter") continue;
      const src = counterSource(def.key);
      if (!src || src.power !== key) continue;
      if (dt > this.maxGapS) {
        this.whGap[def.key] = true;
        continue;
      }
      let a = this.last[i];
      let b = value;
      if (src.sign > 0) {
        a = a > 0 ? a : 0;
        b = b > 0 ? b : 0;
      } else if (src.sign < 0) {
        a = a < 0 ? -a : 0;
        b = b < 0 ? -b : 0;
      }
      this.wh[def.key] += ((a + b) / 2) * dt / 3600;
    }
  }

  /**
   * Close the interval: one row of scaled integers in channel order, and its quality letters. Mean/min/max with no
   * sample are null; a `last` with no new sample repeats the last value marked stale.
   */
  row(): { r: (number | null)[]; q: string } {
    const r: (number | null)[] = [];
    let q = "";
    for (let c = 0; c < this.ch.length; c++) {
      const def = this.ch[c];
      if (def.agg === "counter") {
        r.push(scaleToWire(this.wh[def.key], def.scale));
        q += this.whGap[def.key] ? "e" : "o";
        this.whGap[def.key] = false;
        continue;
      }
      const i = this.keys.indexOf(def.key);
      const has = this.n[i] > 0;
      let v: number | null = null;
      if (has) v = def.agg === "mean" ? this.sum[i] / this.n[i] : def.agg === "min" ? this.min[i] : def.agg === "max" ? this.max[i] : this.last[i];
      else if (def.agg === "last" && this.hasLast[i] && !this.failed[i]) v = this.last[i];
      r.push(scaleToWire(v, def.scale));
      q += has ? "oesf".charAt(this.worst[i]) : this.failed[i] ? "f" : "s";
    }
    for (let i = 0; i < this.keys.length; i++) {
      this.n[i] = 0;
      this.sum[i] = 0;
      this.worst[i] = 0;
    }
    return { r: r, q: q };
  }

  /** Energy totals (Wh) to persist across reboots. */
  energy(): { [key: string]: number } {
    return this.wh;
  }
}

// Aggregation of samples into report rows, and energy counters (docs/design.md guarantees 3 and 5). Pure: the caller
// passes every sample with its time and quality; nothing here touches a bus or a clock.
import { Quality } from "../protocol/messages";
import { counterPower } from "../protocol/channels";
import { implausible } from "../protocol/plausible";

export interface Sampler {
  /**
   * A sample of quantity `key` at time `t` (s). A failed or missing reading is `null` with quality "f" or "s". A
   * value that cannot be true (protocol/plausible.ts) is taken as a failed reading, null with "f", and counted.
   */
  add(key: string, value: number | null, quality: Quality, t: number): void;
  /**
   * Close the interval: the row as the batch carries it (JSON array of scaled integers in channel order) and its
   * quality letters. Mean/min/max with no sample are null; a `last` with no new sample repeats the last value
   * marked stale.
   */
  row(): string[];
  /** Energy totals (Wh by counter key) to persist across reboots. */
  energy(): { [key: string]: number };
  /** Implausible readings refused since the sampler was made (the channels' quantities only). */
  bad: number;
}

// Quality letters by rank: the worst of an interval is reported.
const qualities = "oesf";
// Per quantity, in one Float64Array (docs/style.md 13): sample count, sum, min, max, last value, its time, whether there
// is a last value, worst quality rank of the interval, whether the sensor is failed.
const N = 0, SUM = 1, LAST = 4, LAST_T = 5, HAS_LAST = 6, WORST = 7, FAILED = 8, STRIDE = 9;

/**
 * A sampler for a channel table ("id key aggregation scale" words, protocol/channels.ts). A counter integrates the
 * power it reads (trapezoids, Wh = W * s / 3600); a power sample more than `maxGapS` after the previous one is not
 * extended across the gap: the counter holds and its interval is marked estimated. `energyWh`: totals to start
 * from, e.g. restored from flash after a reboot.
 */
export function createSampler(table: string, maxGapS: number, energyWh: { [key: string]: number }): Sampler {
  let w = table.split(" ");
  const nch = w.length >> 2;
  // the quantities and their index in `f`, as one string " key:index ... ." (a list would hold variables for every
  // key for as long as the node runs). It ends in "." so that no needle can run past its end: the interpreter's
  // indexOf finds a needle whose first characters match the end of the string (docs/espruino.md "Traps").
  let keys = " .";
  let nk = 0;
  function find(key: string): number {
    const p = keys.indexOf(" " + key + ":");
    return p < 0 ? -1 : parseInt(keys.substr(p + key.length + 2), 10);
  }
  // per channel: aggregation (index in "mean min max last counter"), scale, quantity index, sign of the power a
  // counter counts (1 positive only, -1 negative only as a positive energy, 0 both as they are)
  const ch = new Int8Array(nch * 4);
  const wh = new Float64Array(nch);
  const gap = new Uint8Array(nch);
  for (let c = 0; c < nch; c++) {
    let key = w[c * 4 + 1];
    const agg = "mean min max last counter".split(" ").indexOf(w[c * 4 + 2]);
    ch[c * 4] = agg;
    ch[c * 4 + 1] = +w[c * 4 + 3];
    if (agg === 4) {
      wh[c] = energyWh[key] || 0;
      ch[c * 4 + 3] = key.indexOf("_charge_Wh") > 0 ? 1 : key.indexOf("_discharge_Wh") > 0 ? -1 : 0;
      key = counterPower(key);
    }
    if (find(key) < 0) keys = keys.slice(0, -1) + key + ":" + nk++ + " .";
    ch[c * 4 + 2] = find(key);
  }
  const f = new Float64Array(nk * STRIDE);
  // the closures below keep this scope: not the table's words nor the totals read from flash
  w = [];
  energyWh = {};

  const me: Sampler = {
    add: function (key, value, quality, t) {
      const i = find(key);
      if (i < 0) return;
      if (value !== null && implausible(key, value)) {
        value = null;
        quality = "f";
        me.bad++;
      }
      const o = i * STRIDE;
      const rank = qualities.indexOf(quality);
      if (rank > f[o + WORST]) f[o + WORST] = rank;
      if (value === null || value !== value) {
        f[o + FAILED] = quality === "f" ? 1 : 0;
        return;
      }
      f[o + FAILED] = 0;
      const dt = t - f[o + LAST_T];
      if (f[o + HAS_LAST] && dt > 0) {
        for (let c = 0; c < nch; c++) {
          if (ch[c * 4] !== 4 || ch[c * 4 + 2] !== i) continue;
          if (dt > maxGapS) gap[c] = 1;
          else {
            const sign = ch[c * 4 + 3];
            let a = f[o + LAST];
            let b = value;
            if (sign) {
              a = Math.max(0, a * sign);
              b = Math.max(0, b * sign);
            }
            wh[c] += ((a + b) / 2) * dt / 3600;
          }
        }
      }
      // min at o+2, max at o+3
      if (!f[o + N] || value < f[o + 2]) f[o + 2] = value;
      if (!f[o + N] || value > f[o + 3]) f[o + 3] = value;
      f[o + N]++;
      f[o + SUM] += value;
      f[o + LAST] = value;
      f[o + LAST_T] = t;
      f[o + HAS_LAST] = 1;
    },

    row: function () {
      let r = "";
      let q = "";
      for (let c = 0; c < nch; c++) {
        const agg = ch[c * 4];
        const o = ch[c * 4 + 2] * STRIDE;
        const n = f[o + N];
        let v: number | null = null;
        if (agg === 4) {
          v = wh[c];
          q += gap[c] ? "e" : "o";
          gap[c] = 0;
        } else {
          // mean is the sum over the count; min, max and last sit at o+2, o+3, o+4 (aggregation 1, 2, 3)
          if (n) v = agg ? f[o + 1 + agg] : f[o + SUM] / n;
          else if (agg === 3 && f[o + HAS_LAST] && !f[o + FAILED]) v = f[o + LAST];
          q += n ? qualities.charAt(f[o + WORST]) : f[o + FAILED] ? "f" : "s";
        }
        // the integer on the wire, or null (never 0) when there is none; like JSON.stringify, null for NaN and
        // infinities
        const x = v === null ? NaN : Math.round(v * Math.pow(10, ch[c * 4 + 1]));
        r += (c ? "," : "") + (isFinite(x) ? x : "null");
      }
      for (let o = 0; o < f.length; o += STRIDE) f[o + N] = f[o + SUM] = f[o + WORST] = 0;
      return ["[" + r + "]", q];
    },

    energy: function () {
      const out: { [key: string]: number } = {};
      const w = table.split(" ");
      for (let c = 0; c < nch; c++) if (ch[c * 4] === 4) out[w[c * 4 + 1]] = wh[c];
      return out;
    },

    bad: 0,
  };
  return me;
}

// Sampling for CT clamps, and the clamp quantities (ctN_A, ctN_W): reads the ADC pins through the board's
// analogRead, in windows of exactly one mains period measured on the clock, and turns the sums into a reading
// and a quality. The arithmetic is in ct-clamp.ts.
//
// Whole cycles by time: each window samples in a tight loop until 1/hz seconds have passed, so the window is a
// whole mains cycle to within one sample, at whatever rate the interpreter manages. This needs the mains
// frequency (50 or 60 Hz: the clamp's Hz setting, 50 when absent); an inverter-fed mini-grid holds it closely, and a generator 2 % off over
// a 10-cycle measurement leaves a part-cycle of 0.2, an RMS error well under 1 %.
// The windows run back to back, so a measurement blocks the interpreter for cycles/hz seconds (0.2 s for 10
// cycles of 50 Hz, 0.17 s for 10 of 60 Hz); UART input (VE.Direct, Modbus) queues meanwhile in the interpreter's buffer.

import { Clock } from "../hal/types";
import { Quality } from "../protocol/messages";
import { CtSetting } from "./ct-clamp-settings";
import { CtReading, CtSums, ctResult } from "./ct-clamp";

/** One clamp as the node's settings describe it (ct-clamp-settings.ts), and its optional AC voltage reference. */
export type CtClamp = CtSetting;

/** What the port reads the pins through: the board's pin lookup and analogRead (0..1 of Vref). */
export interface AnalogPins {
  pin(name: string): any;
  analogRead(pin: any): number;
}

/**
 * One measurement into the sums s (zeros; ct-clamp.ts CtSums) of `cycles` windows of one mains period each (hz: 50 or 60), each window cut at `max` samples
 * so that a clock that does not move cannot hang the loop. Undefined (sensor failed) with no samples or a lost
 * bias: a mean sample further than 0.2 from the VCC/2 bias (0.5) means the bias divider or the input is broken.
 * Else the reading, with quality "e" (estimated) when samples clipped, a window was cut short, or there were
 * fewer than 20 samples per cycle (too few to follow the harmonics of a real load, docs/protocols.md), "o" otherwise.
 */
export function ctMeasure(s: CtSums, c: CtClamp, hw: AnalogPins, clock: Clock, hz: number, cycles: number, max: number): CtReading | undefined {
  const pi = hw.pin(c.pin);
  const pv = c.vpin && hw.pin(c.vpin);
  const phase = c.phase || 1;
  let cut = 0;
  for (let k = 0; k < cycles; k++) {
    const end = clock.seconds() + 1 / hz;
    let prev = NaN; // no interpolation across the pause before a window
    let n = 0;
    for (; n < max && clock.seconds() < end; n++) {
      const i = hw.analogRead(pi);
      s[0]++;
      if (i < 0.001 || i > 0.999) s[1]++;
      s[2] += i;
      s[3] += i * i;
      if (pv) {
        let v = hw.analogRead(pv);
        if (v < 0.001 || v > 0.999) s[1]++;
        const p = prev;
        prev = v;
        if (p === p) v = p + phase * (v - p);
        s[4] += v;
        s[5] += v * v;
        s[6] += v * i;
      }
    }
    if (n >= max) cut = 1;
  }
  // analogRead gives 0..1 of the 3.3 V ADC reference: amperes (volts) per unit of it are ICAL (VCAL) * 3.3
  const r = ctResult(s, c.ical * 3.3, (c.vcal || 0) * 3.3);
  if (!r || Math.abs(s[2] / s[0] - 0.5) > 0.2) return undefined;
  r.q = s[1] || cut || s[0] < 20 * cycles ? "e" : "o";
  return r;
}

/**
 * Measures every clamp (10 cycles of its mains, Hz 50 or 60, at most 1000 samples a cycle) and gives ctN_A (RMS current) and
 * ctN_W to `out`: real power with a voltage reference, else apparent power from the nominal mains volts, which
 * is estimated ("e"). A failed measurement is null with quality failed ("f").
 */
export function ctPoll(clamps: CtClamp[], hw: AnalogPins, clock: Clock, t: number, out: (key: string, value: number | null, q: Quality, t: number) => void): void {
  for (let k = 0; k < clamps.length; k++) {
    const r = ctMeasure(new Float64Array(7), clamps[k], hw, clock, clamps[k].Hz || 50, 10, 1000);
    const p = "ct" + (k + 1) + "_";
    const q = r ? (r.q as Quality) : "f";
    const real = r && r.power_W !== undefined;
    out(p + "A", r ? r.current_A : null, q, t);
    out(p + "W", r ? (real ? (r.power_W as number) : r.current_A * clamps[k].V) : null, real || !r ? q : "e", t);
  }
}

// RMS current from a current transformer (CT) clamp on an ADC pin, and with an AC voltage reference on a
// second pin also real power (and, for tools and tests, RMS voltage and power factor). Pure: samples go into running sums, a reading comes
// out of them; the sampling loop is in ct-clamp-port.ts. Method: docs/protocols.md "CT clamp on ADC".
//
// Scale: samples are Espruino analogRead() values, 0..1 of the ADC reference Vref (not ADC counts), so
// volts at the pin = sample * Vref and the docs/protocols.md ratio ICAL * (Vref / ADC_counts) becomes ICAL * Vref.
// The CT secondary drives a burden resistor riding on a VCC/2 divider, so a sample is 0.5 + i(t)/ICAL/Vref.
//
// Whole cycles: the sums span a whole number of mains cycles. No arrays of samples: only running sums are kept.
//
// DC removal: the AC part has zero mean over whole cycles, so the mean of the samples is exactly the bias, and
// the variance sum(s^2)/N - (sum(s)/N)^2 is the AC part's mean square whatever the bias is, from the first
// measurement on and while the bias drifts. In doubles the cancellation costs nothing measurable: samples are
// below 1 and N a few thousand, so the error is near 1e-13 of a full-scale square, against 1e-8 for 0.02 A.

/**
 * Running sums of one measurement, by slot: 0 samples, 1 samples within 0.001 of either end of the ADC range
 * (clipped: the signal is larger than the input can show), 2 sum of current samples (divided by slot 0: the
 * bias actually present, about 0.5 when the divider is sound), 3 of their squares, 4 sum of voltage samples, 5 of their squares, 6 of
 * voltage * current. ct-clamp-port.ts fills them.
 */
export type CtSums = Float64Array;

import { Quality } from "../protocol/messages";

/** RMS values of one measurement. */
export interface CtReading {
  current_A: number;
  /** With a voltage reference: real power, mean(v * i). */
  power_W?: number;
  /** Quality as on the wire, given by ct-clamp-port.ts: "o" ok, "e" estimated. */
  q?: Quality;
}

/**
 * RMS current, and real power with a voltage reference, of the sums; undefined with no samples. amps: amperes
 * per unit of analogRead scale (ICAL * Vref); volts likewise for the voltage reference (VCAL * Vref), 0 without.
 */
export function ctResult(s: CtSums, amps: number, volts: number): CtReading | undefined {
  const n = s[0];
  if (!n) return undefined;
  const mi = s[2] / n;
  const r: CtReading = { current_A: amps * Math.sqrt(Math.max(0, s[3] / n - mi * mi)) };
  if (volts && s[5]) r.power_W = volts * amps * (s[6] / n - (s[4] / n) * mi);
  return r;
}

// The board reports current and power only; RMS voltage and power factor are for tools and tests.

/** RMS voltage of the sums (volts as for ctResult). */
export function ctVoltage(s: CtSums, volts: number): number {
  const mv = s[4] / s[0];
  return volts * Math.sqrt(Math.max(0, s[5] / s[0] - mv * mv));
}

/**
 * Power factor P / (Vrms * Irms), within -1..1. With no current (or no voltage) it is undefined (0/0): left
 * out, never reported as 0.
 */
export function ctPowerFactor(power_W: number, voltage_V: number, current_A: number): number | undefined {
  const va = voltage_V * current_A;
  return va > 0 ? Math.max(-1, Math.min(1, power_W / va)) : undefined;
}

// RMS current from a current transformer (CT) clamp on an ADC pin, and with an AC voltage reference on a
// second pin also RMS voltage, real power and power factor. Pure: samples go in, a reading comes out; the
// sampling loop is in ct-clamp-port.ts. Method: shared/docs/protocols.md "CT clamp on ADC".
//
// Scale: samples are Espruino analogRead() values, 0..1 of the ADC reference Vref (not ADC counts), so
// volts at the pin = sample * Vref and the protocols.md ratio ICAL * (Vref / ADC_counts) becomes ICAL * Vref.
// The CT secondary drives a burden resistor riding on a VCC/2 divider, so a sample is 0.5 + i(t)/ICAL/Vref.
//
// Whole cycles: the caller feeds samples spanning a whole number of mains cycles (the port samples for a fixed
// time of N periods at the configured 50/60 Hz). No arrays of samples: only running sums are kept.
//
// DC removal: the slow high-pass of protocols.md, offset += (s - offset) / 1024, runs on every sample. It settles
// in thousands of samples; until then a leftover DC error d adds in quadrature (sqrt(I^2 + d^2)), large at small
// currents, and an offset that moves during the measurement adds its own ramp. So within one measurement the
// offset subtracted is the filter's value when the measurement began (constant), and since the AC part has zero
// mean over whole cycles, the mean of f = s - offset is exactly the leftover DC: the variance
// sum(f^2)/N - (sum(f)/N)^2 removes it. The result is exact from the first measurement; the filter keeps the
// subtracted offset close to the bias so that the sums stay small.

/** Calibration of a CT input (and optional voltage input). */
export interface CtOptions {
  /** Amperes in the conductor per volt at the ADC pin: CT turns / burden ohms. SCT-013-000 (100 A : 50 mA = 2000 turns) with 33 ohm: 60.6. */
  ical: number;
  /** ADC reference in volts; analogRead() returns 0..1 of it. Default 3.3. */
  vref_V?: number;
  /** Mains volts per volt at the voltage ADC pin (AC-AC adapter and divider). Needed for voltage and power. */
  vcal?: number;
  /** DC bias as a fraction of Vref, the high-pass filter's starting point. Default 0.5 (VCC/2 divider). */
  bias?: number;
  /**
   * Voltage phase correction: the voltage used is vPrev + phase * (v - vPrev), a linear interpolation between
   * the previous and the current voltage sample. The pins are read one after the other, so the voltage sample
   * is late by the time of one read: with current and voltage reads of equal cost, 0.5 puts it back beside
   * its current sample. Default 1 (no shift). A transformer's own phase error can be folded in here too.
   */
  phase?: number;
}

/** RMS values over the samples since the last clear(). */
export interface CtReading {
  current_A: number;
  /** Present with a voltage reference: RMS voltage, real power mean(v*i), power factor P / (Vrms * Irms) (pf only when both are non-zero). */
  voltage_V?: number;
  power_W?: number;
  pf?: number;
  /** Samples used. */
  n: number;
  /** Samples at the ends of the ADC range (clipped: the signal is larger than the input can show). */
  clip: number;
  /** Mean current-pin sample (0..1 of Vref): the bias actually present, about 0.5 when the divider is sound. */
  dc: number;
}

// A sample this close to 0 or 1 is treated as clipped.
const CLIP = 0.001;

export class CtRms {
  /** Amperes per unit of analogRead scale (ICAL * Vref), volts likewise. */
  private ki: number;
  private kv: number;
  /** High-pass offsets of the current and voltage channels (analogRead scale), updated on every sample. */
  oi: number;
  ov: number;
  /** The offsets frozen at the start of the measurement, which are subtracted. */
  private bi: number;
  private bv: number;
  private n = 0;
  private si = 0;
  private sii = 0;
  private sv = 0;
  private svv = 0;
  private svi = 0;
  private c = 0;
  /** Sum of raw current samples, for the bias check. */
  private sr = 0;
  /** Previous filtered voltage sample (NaN before the first), and the phase factor. */
  private pv = NaN;
  private ph: number;

  constructor(o: CtOptions) {
    const vref = o.vref_V ?? 3.3;
    this.ki = o.ical * vref;
    this.kv = (o.vcal ?? 0) * vref;
    this.oi = this.ov = this.bi = this.bv = o.bias ?? 0.5;
    this.ph = o.phase ?? 1;
  }

  /** One current sample, and the voltage sample taken with it when a voltage reference is wired. */
  add(i: number, v?: number): void {
    if (i <= CLIP || i >= 1 - CLIP) this.c++;
    this.oi += (i - this.oi) / 1024;
    const fi = i - this.bi;
    this.n++;
    this.sr += i;
    this.si += fi;
    this.sii += fi * fi;
    if (v !== undefined) {
      if (v <= CLIP || v >= 1 - CLIP) this.c++;
      this.ov += (v - this.ov) / 1024;
      let fv = v - this.bv;
      const pv = this.pv;
      this.pv = fv;
      if (pv === pv) fv = pv + this.ph * (fv - pv); // pv is NaN only before the first sample
      this.sv += fv;
      this.svv += fv * fv;
      this.svi += fv * fi;
    }
  }

  /** RMS values of what was added since clear(); undefined with no samples. */
  result(): CtReading | undefined {
    const n = this.n;
    if (n === 0) return undefined;
    const mi = this.si / n;
    const irms = this.ki * Math.sqrt(Math.max(0, this.sii / n - mi * mi));
    const r: CtReading = { current_A: irms, n: n, clip: this.c, dc: this.sr / n };
    if (this.kv > 0 && (this.svv > 0 || this.sv !== 0)) {
      const mv = this.sv / n;
      const vrms = this.kv * Math.sqrt(Math.max(0, this.svv / n - mv * mv));
      const p = this.kv * this.ki * (this.svi / n - mv * mi);
      r.voltage_V = vrms;
      r.power_W = p;
      // With no current (or no voltage) the power factor is undefined (0/0): left out, never reported as 0.
      if (vrms * irms > 0) r.pf = Math.max(-1, Math.min(1, p / (vrms * irms)));
    }
    return r;
  }

  /** Marks a pause in sampling: the next voltage sample is not interpolated with one from before it. */
  gap(): void {
    this.pv = NaN;
  }

  /** Starts a new measurement; the high-pass offsets carry over and are frozen for it. */
  clear(): void {
    this.n = this.si = this.sii = this.sv = this.svv = this.svi = this.c = this.sr = 0;
    this.pv = NaN;
    this.bi = this.oi;
    this.bv = this.ov;
  }
}

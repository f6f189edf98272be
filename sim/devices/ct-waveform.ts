// Analog sources for a CT clamp input and an AC voltage reference, as Espruino's analogRead() sees them:
// 0..1 of the ADC reference. A CT's secondary current flows through a burden resistor that sits on a VCC/2
// divider (docs/protocols.md "CT clamp on ADC"), so the pin reads VCC/2 + i(t) / turns * burden.
// Optional: one harmonic, Gaussian noise from a seeded hash of the time (the same t always gives the same
// value, no Math.random), clipping at the rails and ADC quantisation.

import { AnalogSource } from "./types";

export interface Harmonic {
  /** Order: 3 for the third harmonic. */
  n: number;
  /** Amplitude as a fraction of the fundamental. */
  frac: number;
  phase_rad?: number;
}

export interface Noise {
  /** Standard deviation in analogRead units (0..1 of Vref). */
  rms: number;
  seed: number;
}

interface Common {
  /** Mains frequency; default 50 Hz. */
  hz?: number;
  /** Supply of the bias divider; the bias is VCC/2. Default 3.3 V. */
  vcc_V?: number;
  /** ADC reference; default 3.3 V. */
  vref_V?: number;
  /** Phase of the fundamental in radians (current lagging the voltage: negative). Default 0. */
  phase_rad?: number;
  harmonic?: Harmonic;
  noise?: Noise;
  /** ADC resolution for quantisation; default 12 bits, 0 for none. */
  adcBits?: number;
}

export interface CtWaveOptions extends Common {
  /** Total RMS current in the conductor (fundamental and harmonic together). */
  irms_A: number;
  /** CT turns ratio: SCT-013-000 is 100 A : 50 mA = 2000 (default). */
  turns?: number;
  /** Burden resistor; default 33 ohm. */
  burden_ohm?: number;
}

export interface AcVoltageOptions extends Common {
  /** Total RMS mains voltage. */
  vrms_V: number;
  /** Mains volts per volt at the ADC pin (adapter ratio and divider). */
  vcal: number;
}

/** 32-bit integer mix (an avalanche of xor-shifts and odd multipliers). */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Standard normal value determined by seed and time (Box-Muller on two hashed uniforms). */
export function noiseAt(seed: number, t: number): number {
  const k = Math.round(t * 1e7); // 0.1 µs grid
  const h = mix((seed | 0) ^ mix((k >>> 0) ^ mix(Math.floor(k / 4294967296))));
  const u1 = (h + 1) / 4294967297;
  const u2 = mix(h ^ 0x9e3779b9) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Builds a source from the peak of the fundamental in volts at the pin. */
function source(peakPin_V: number, o: Common): AnalogSource {
  const w = 2 * Math.PI * (o.hz ?? 50);
  const vref = o.vref_V ?? 3.3;
  const bias = (o.vcc_V ?? 3.3) / 2;
  const ph = o.phase_rad ?? 0;
  const h = o.harmonic;
  const bits = o.adcBits ?? 12;
  const full = bits > 0 ? Math.pow(2, bits) - 1 : 0;
  return (t: number) => {
    let v = bias + peakPin_V * Math.sin(w * t + ph);
    if (h) v += peakPin_V * h.frac * Math.sin(h.n * (w * t + ph) + (h.phase_rad ?? 0));
    let x = v / vref;
    if (o.noise) x += o.noise.rms * noiseAt(o.noise.seed, t);
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    return full ? Math.round(x * full) / full : x;
  };
}

/** Fundamental peak for a total RMS value with an optional harmonic. */
function peak(rms: number, h: Harmonic | undefined): number {
  const f = h ? h.frac : 0;
  return (rms * Math.SQRT2) / Math.sqrt(1 + f * f);
}

/** A CT clamp on an ADC pin carrying irms_A. */
export function ctWaveform(o: CtWaveOptions): AnalogSource {
  const secondary = peak(o.irms_A, o.harmonic) / (o.turns ?? 2000);
  return source(secondary * (o.burden_ohm ?? 33), o);
}

/** An AC-AC adapter and divider on an ADC pin: the voltage reference for real power. */
export function acVoltageWaveform(o: AcVoltageOptions): AnalogSource {
  return source(peak(o.vrms_V, o.harmonic) / o.vcal, o);
}

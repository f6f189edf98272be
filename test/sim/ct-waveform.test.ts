import { describe, expect, it } from "vitest";
import { acVoltageWaveform, ctWaveform, noiseAt } from "../../sim/devices/ct-waveform";
import { ctPowerFactor, ctVoltage } from "../../firmware/drivers/ct-clamp";
import { CtClamp, ctMeasure } from "../../firmware/drivers/ct-clamp-port";
import type { AnalogSource } from "../../sim/devices/types";

/** Mean and RMS about the mean of a source over `cycles` whole cycles, finely sampled. */
function stats(src: AnalogSource, hz: number, cycles = 5, perCycle = 2000) {
  let s = 0;
  let ss = 0;
  const n = cycles * perCycle;
  for (let k = 0; k < n; k++) {
    const x = src(k / (hz * perCycle));
    s += x;
    ss += x * x;
  }
  const mean = s / n;
  return { mean, rms: Math.sqrt(ss / n - mean * mean) };
}

describe("CT waveform", () => {
  it("10 A on an SCT-013-000 with 33 ohm: 5 mA, 165 mV RMS at the pin, 0.05 of 3.3 V, biased at 0.5", () => {
    const st = stats(ctWaveform({ irms_A: 10, adcBits: 0 }), 50);
    expect(st.mean).toBeCloseTo(0.5, 9);
    expect(st.rms).toBeCloseTo(((10 / 2000) * 33) / 3.3, 9);
  });

  it("the bias is VCC/2 of the ADC reference", () => {
    expect(stats(ctWaveform({ irms_A: 1, vcc_V: 3.3, vref_V: 3.0, adcBits: 0 }), 50).mean).toBeCloseTo(0.55, 9);
  });

  it("quantises to the ADC resolution", () => {
    const src = ctWaveform({ irms_A: 7, adcBits: 12 });
    for (let k = 0; k < 50; k++) {
      const x = src(k * 0.000377) * 4095;
      expect(Math.abs(x - Math.round(x))).toBeLessThan(1e-9);
    }
  });

  it("keeps the total RMS with a harmonic", () => {
    const src = ctWaveform({ irms_A: 10, harmonic: { n: 3, frac: 0.4 }, adcBits: 0 });
    expect(stats(src, 50).rms).toBeCloseTo(0.05, 9);
  });

  it("clips at the rails above about 70 A on 33 ohm and a 3.3 V supply", () => {
    let lo = 1;
    let hi = 0;
    const src = ctWaveform({ irms_A: 80 });
    for (let k = 0; k < 1000; k++) {
      const x = src(k / 50000);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });

  it("noise is a function of seed and time: repeatable, seed-dependent, of the asked size", () => {
    expect(noiseAt(7, 1.2345)).toBe(noiseAt(7, 1.2345));
    expect(noiseAt(7, 1.2345)).not.toBe(noiseAt(8, 1.2345));
    let s = 0;
    let ss = 0;
    const n = 20000;
    for (let k = 0; k < n; k++) {
      const x = noiseAt(42, k * 1e-4);
      s += x;
      ss += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.sqrt(ss / n)).toBeGreaterThan(0.97);
    expect(Math.sqrt(ss / n)).toBeLessThan(1.03);
    const a = ctWaveform({ irms_A: 5, noise: { rms: 0.001, seed: 1 }, adcBits: 0 });
    const b = ctWaveform({ irms_A: 5, adcBits: 0 });
    const d = stats((t) => a(t) - b(t), 50, 2, 5000);
    expect(d.rms).toBeGreaterThan(0.0009);
    expect(d.rms).toBeLessThan(0.0011);
  });

  it("AC voltage reference: Vrms / vcal at the pin", () => {
    const st = stats(acVoltageWaveform({ vrms_V: 230, vcal: 325, adcBits: 0 }), 50);
    expect(st.rms).toBeCloseTo(230 / 325 / 3.3, 9);
  });
});

/** analogRead of pin "I" (current) or "U" (voltage) through a virtual clock that each read moves on by `cost` seconds. */
function pins(c: { t: number }, i: AnalogSource, cost: number, u?: AnalogSource) {
  return {
    pin: (name: string) => name,
    analogRead: (pin: string) => {
      c.t += cost;
      return (pin === "I" ? i : u!)(c.t);
    },
  };
}

/** A clamp on pin "I" with the calibration ICAL (amperes per volt at the pin). */
const clampOf = (ical: number): CtClamp => ({ pin: "I", ical, V: 230 });

describe("round trip: current -> waveform -> CT driver -> current", () => {
  const ICAL = 2000 / 33;
  for (const hz of [50, 60]) {
    for (const irms of [0.5, 1, 5, 20, 60]) {
      it(`${irms} A at ${hz} Hz (12-bit ADC, 3rd harmonic, noise) within 1 %`, () => {
        const c = { t: 3.21 };
        const src = ctWaveform({
          irms_A: irms,
          hz,
          harmonic: { n: 3, frac: 0.15, phase_rad: 0.3 },
          noise: irms >= 1 ? { rms: 0.0002, seed: irms * 100 + hz } : undefined,
        });
        const r = ctMeasure(new Float64Array(7), clampOf(ICAL), pins(c, src, 90e-6), { seconds: () => c.t }, hz, 10, 1000)!;
        expect(r.q).toBe("o");
        expect(Math.abs(r.current_A / irms - 1)).toBeLessThan(0.01);
      });
    }
  }

  it("an off-centre bias: exact from the first measurement on, and the bias is measured", () => {
    const c = { t: 0 };
    const src = ctWaveform({ irms_A: 2, vcc_V: 3.3, vref_V: 3.25 }); // bias 0.5077
    // the driver takes a 3.3 V reference: a 3.25 V one is the same as an ICAL smaller by 3.25 / 3.3
    const clamp = clampOf((ICAL * 3.25) / 3.3);
    for (let k = 0; k < 30; k++) {
      const s = new Float64Array(7);
      const r = ctMeasure(s, clamp, pins(c, src, 100e-6), { seconds: () => c.t }, 50, 10, 1000)!;
      expect(Math.abs(r.current_A / 2 - 1)).toBeLessThan(0.01);
      expect(Math.abs(s[2] / s[0] - 3.3 / 2 / 3.25)).toBeLessThan(0.001); // the bias
    }
  });

  it("80 A clips on 33 ohm: reported as estimated, and low", () => {
    const c = { t: 0 };
    const r = ctMeasure(new Float64Array(7), clampOf(ICAL), pins(c, ctWaveform({ irms_A: 80 }), 100e-6), { seconds: () => c.t }, 50, 10, 1000)!;
    expect(r.q).toBe("e");
    expect(r.current_A).toBeLessThan(78);
  });

  it("with a voltage reference: 230 V, current lagging 30 degrees -> P and pf within 1 %", () => {
    const c = { t: 0.5 };
    const vcal = 325;
    const i = ctWaveform({ irms_A: 12, phase_rad: -Math.PI / 6, noise: { rms: 0.0002, seed: 9 } });
    const v = acVoltageWaveform({ vrms_V: 230, vcal, noise: { rms: 0.0002, seed: 10 } });
    const s = new Float64Array(7);
    const r = ctMeasure(s, { ...clampOf(ICAL), vpin: "U", vcal, phase: 0.5 }, pins(c, i, 60e-6, v), { seconds: () => c.t }, 50, 10, 1000)!;
    expect(r.q).toBe("o");
    const vrms = ctVoltage(s, vcal * 3.3);
    expect(Math.abs(vrms / 230 - 1)).toBeLessThan(0.005);
    expect(Math.abs(r.current_A / 12 - 1)).toBeLessThan(0.01);
    expect(Math.abs(ctPowerFactor(r.power_W!, vrms, r.current_A)! / Math.cos(Math.PI / 6) - 1)).toBeLessThan(0.01);
    expect(Math.abs(r.power_W! / (230 * 12 * Math.cos(Math.PI / 6)) - 1)).toBeLessThan(0.01);
  });
});

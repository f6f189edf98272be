import { describe, expect, it } from "vitest";
import { CtRms } from "../../firmware/drivers/ct-clamp";

const ICAL = 2000 / 33; // SCT-013-000 (100 A : 50 mA) on 33 ohm: 60.6 A per volt at the pin
const VREF = 3.3;

/** Feeds `cycles` mains cycles of `perCycle` samples of f(phase in radians). */
function feed(acc: CtRms, cycles: number, perCycle: number, f: (ph: number) => number, g?: (ph: number) => number) {
  for (let k = 0; k < cycles * perCycle; k++) {
    const ph = (2 * Math.PI * k) / perCycle;
    acc.add(f(ph), g ? g(ph) : undefined);
  }
}

describe("CT RMS current", () => {
  it("a square wave of +-0.05 around the bias is exactly 0.05 RMS: 60.6 * 3.3 * 0.05 = 10.0 A", () => {
    const acc = new CtRms({ ical: ICAL, vref_V: VREF });
    feed(acc, 10, 40, (ph) => (Math.sin(ph + 0.01) >= 0 ? 0.55 : 0.45));
    const r = acc.result()!;
    expect(r.n).toBe(400);
    expect(r.current_A).toBeCloseTo(ICAL * VREF * 0.05, 6); // 10.000 A
    expect(r.current_A).toBeCloseTo(10, 6);
  });

  it("a sine of amplitude A in analogRead units gives ICAL * Vref * A / sqrt(2)", () => {
    for (const A of [0.002, 0.01, 0.1, 0.45]) {
      const acc = new CtRms({ ical: ICAL, vref_V: VREF });
      feed(acc, 10, 64, (ph) => 0.5 + A * Math.sin(ph));
      const expected = (ICAL * VREF * A) / Math.SQRT2;
      expect(Math.abs(acc.result()!.current_A / expected - 1)).toBeLessThan(1e-6);
    }
  });

  it("removes a DC error that the slow high-pass has not yet taken out (bias 0.52, 1 A)", () => {
    // 1 A RMS: 0.5 mA in the secondary, 16.5 mV at the pin, 0.005 RMS of Vref. A bias 0.02 off the
    // filter's starting point would read sqrt(0.005^2 + 0.02^2) -> 4.1 A without the mean removal.
    const A = (1 / ICAL / VREF) * Math.SQRT2;
    const acc = new CtRms({ ical: ICAL, vref_V: VREF });
    feed(acc, 10, 40, (ph) => 0.52 + A * Math.sin(ph));
    expect(acc.result()!.current_A).toBeCloseTo(1, 3);
  });

  it("stays exact measurement after measurement while the bias drifts", () => {
    const acc = new CtRms({ ical: ICAL, vref_V: VREF });
    for (let m = 0; m < 20; m++) {
      acc.clear();
      const bias = 0.48 + m * 0.002;
      feed(acc, 10, 40, (ph) => bias + 0.01 * Math.sin(ph));
      expect(Math.abs(acc.result()!.current_A / ((ICAL * VREF * 0.01) / Math.SQRT2) - 1)).toBeLessThan(1e-9);
    }
  });

  it("lets the high-pass settle on the real bias over thousands of samples", () => {
    const acc = new CtRms({ ical: ICAL, vref_V: VREF });
    feed(acc, 200, 40, (ph) => 0.47 + 0.05 * Math.sin(ph));
    expect(Math.abs(acc.oi - 0.47)).toBeLessThan(1e-3);
    expect(acc.result()!.dc).toBeCloseTo(0.47, 9); // mean of the raw samples over whole cycles
  });

  it("counts clipped samples and reports the mean sample (bias)", () => {
    const acc = new CtRms({ ical: ICAL, vref_V: VREF });
    feed(acc, 2, 40, (ph) => Math.min(1, Math.max(0, 0.5 + 0.7 * Math.sin(ph))));
    const r = acc.result()!;
    expect(r.clip).toBeGreaterThan(10);
    expect(r.dc).toBeCloseTo(0.5, 6);
  });

  it("has no reading without samples; clear keeps the filter, drops the sums", () => {
    const acc = new CtRms({ ical: ICAL });
    expect(acc.result()).toBeUndefined();
    feed(acc, 50, 40, () => 0.4);
    const o = acc.oi;
    acc.clear();
    expect(acc.result()).toBeUndefined();
    expect(acc.oi).toBe(o);
  });

  it("a quiet input reads 0 A and has no power factor", () => {
    const acc = new CtRms({ ical: ICAL, vcal: 100 });
    feed(acc, 5, 40, () => 0.5, (ph) => 0.5 + 0.3 * Math.sin(ph));
    const r = acc.result()!;
    expect(r.current_A).toBe(0);
    expect(r.voltage_V).toBeGreaterThan(0);
    expect(r.pf).toBeUndefined();
  });
});

describe("CT with a voltage reference", () => {
  const VCAL = 230 / (0.3 * VREF / Math.SQRT2); // 0.3 amplitude at the pin is 230 V RMS

  for (const deg of [0, 30, 60, 90, 180]) {
    it(`current lagging by ${deg} degrees: P = Vrms * Irms * cos(phi), pf = cos(phi)`, () => {
      const acc = new CtRms({ ical: ICAL, vref_V: VREF, vcal: VCAL });
      const phi = (deg * Math.PI) / 180;
      feed(
        acc,
        10,
        80,
        (ph) => 0.5 + 0.08 * Math.sin(ph - phi),
        (ph) => 0.5 + 0.3 * Math.sin(ph),
      );
      const r = acc.result()!;
      const irms = (ICAL * VREF * 0.08) / Math.SQRT2;
      expect(r.voltage_V!).toBeCloseTo(230, 3);
      expect(r.current_A).toBeCloseTo(irms, 3);
      expect(r.power_W!).toBeCloseTo(230 * irms * Math.cos(phi), 1);
      expect(r.pf!).toBeCloseTo(Math.cos(phi), 4);
    });
  }

  it("phase correction puts back a voltage sample read one step late", () => {
    // The voltage is read half a sample interval after the current; phase 0.5 interpolates it back.
    const per = 100;
    const late = Math.PI / per; // half of one sample step, in radians
    const run = (phase: number) => {
      const acc = new CtRms({ ical: ICAL, vref_V: VREF, vcal: VCAL, phase });
      feed(
        acc,
        10,
        per,
        (ph) => 0.5 + 0.08 * Math.sin(ph - Math.PI / 3),
        (ph) => 0.5 + 0.3 * Math.sin(ph + late),
      );
      return acc.result()!.pf!;
    };
    const exact = Math.cos(Math.PI / 3);
    expect(Math.abs(run(1) - exact)).toBeGreaterThan(0.01); // uncorrected: 1.8 degrees off
    expect(Math.abs(run(0.5) - exact)).toBeLessThan(0.001);
  });
});

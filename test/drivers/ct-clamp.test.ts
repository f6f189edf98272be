import { describe, expect, it } from "vitest";
import { CtReading, CtSums, ctPowerFactor, ctResult, ctVoltage } from "../../firmware/drivers/ct-clamp";
import { ctMeasure } from "../../firmware/drivers/ct-clamp-port";

const ICAL = 2000 / 33; // SCT-013-000 (100 A : 50 mA) on 33 ohm: 60.6 A per volt at the pin
const VREF = 3.3; // the board's ADC reference

/**
 * Feeds `cycles` mains cycles of `perCycle` samples of f(phase in radians) (and g for the voltage pin) through
 * the port's sampling loop: the clock stands still, so each window ends at `perCycle` samples.
 */
function feed(
  cycles: number,
  perCycle: number,
  f: (ph: number) => number,
  g?: (ph: number) => number,
  o: { vcal?: number; phase?: number } = {},
): { r: CtReading; s: CtSums } {
  let k = 0; // sample number; the voltage sample k is read just after the current sample k
  const ph = () => (2 * Math.PI * k) / perCycle;
  const hw = {
    pin: (name: string) => name,
    analogRead: (pin: string) => {
      const x = pin === "I" ? f(ph()) : g!(ph());
      if (pin !== "I" || !g) k++;
      return x;
    },
  };
  const s = new Float64Array(7);
  const r = ctMeasure(s, { pin: "I", ical: ICAL, V: 230, vpin: g ? "U" : undefined, vcal: o.vcal, phase: o.phase }, hw, { seconds: () => 0 }, 50, cycles, perCycle);
  return { r: r!, s };
}

describe("CT RMS current", () => {
  it("a square wave of +-0.05 around the bias is exactly 0.05 RMS: 60.6 * 3.3 * 0.05 = 10.0 A", () => {
    const { r, s } = feed(10, 40, (ph) => (Math.sin(ph + 0.01) >= 0 ? 0.55 : 0.45));
    expect(s[0]).toBe(400); // samples
    expect(r.current_A).toBeCloseTo(ICAL * VREF * 0.05, 6); // 10.000 A
    expect(r.current_A).toBeCloseTo(10, 6);
  });

  it("a sine of amplitude A in analogRead units gives ICAL * Vref * A / sqrt(2)", () => {
    for (const A of [0.002, 0.01, 0.1, 0.45]) {
      const { r } = feed(10, 64, (ph) => 0.5 + A * Math.sin(ph));
      const expected = (ICAL * VREF * A) / Math.SQRT2;
      expect(Math.abs(r.current_A / expected - 1)).toBeLessThan(1e-6);
    }
  });

  it("removes any DC bias exactly (bias 0.52, 1 A)", () => {
    // 1 A RMS: 0.5 mA in the secondary, 16.5 mV at the pin, 0.005 RMS of Vref. A bias 0.02 off 0.5 would read
    // sqrt(0.005^2 + 0.02^2) -> 4.1 A without the mean removal.
    const A = (1 / ICAL / VREF) * Math.SQRT2;
    expect(feed(10, 40, (ph) => 0.52 + A * Math.sin(ph)).r.current_A).toBeCloseTo(1, 3);
  });

  it("stays exact measurement after measurement while the bias drifts", () => {
    for (let m = 0; m < 20; m++) {
      const bias = 0.48 + m * 0.002;
      const { r } = feed(10, 40, (ph) => bias + 0.01 * Math.sin(ph));
      expect(Math.abs(r.current_A / ((ICAL * VREF * 0.01) / Math.SQRT2) - 1)).toBeLessThan(1e-9);
    }
  });

  it("a tiny current on an off-centre bias keeps its precision over many cycles (no cancellation error)", () => {
    // 0.02 A on a bias of 0.47, 8,000 samples: the sums are large and the variance small.
    const A = (0.02 / ICAL / VREF) * Math.SQRT2;
    const { r, s } = feed(200, 40, (ph) => 0.47 + A * Math.sin(ph));
    expect(Math.abs(r.current_A / 0.02 - 1)).toBeLessThan(1e-6);
    expect(s[2] / s[0]).toBeCloseTo(0.47, 9); // mean of the raw samples over whole cycles: the bias
  });

  it("counts clipped samples and reports the mean sample (bias)", () => {
    const { s } = feed(2, 40, (ph) => Math.min(1, Math.max(0, 0.5 + 0.7 * Math.sin(ph))));
    expect(s[1]).toBeGreaterThan(10); // clipped samples
    expect(s[2] / s[0]).toBeCloseTo(0.5, 6); // the bias
  });

  it("has no reading without samples", () => {
    expect(ctResult(new Float64Array(7), ICAL * VREF, 0)).toBeUndefined();
    const hw = { pin: (n: string) => n, analogRead: () => 0.5 };
    expect(ctMeasure(new Float64Array(7), { pin: "I", ical: ICAL, V: 230 }, hw, { seconds: () => 0 }, 50, 10, 0)).toBeUndefined();
  });

  it("a quiet input reads 0 A and has no power factor", () => {
    const { r, s } = feed(5, 40, () => 0.5, (ph) => 0.5 + 0.3 * Math.sin(ph), { vcal: 100 });
    expect(r.current_A).toBe(0);
    const v = ctVoltage(s, 100 * VREF);
    expect(v).toBeGreaterThan(0);
    expect(ctPowerFactor(r.power_W!, v, r.current_A)).toBeUndefined();
  });
});

describe("CT with a voltage reference", () => {
  const VCAL = 230 / ((0.3 * VREF) / Math.SQRT2); // 0.3 amplitude at the pin is 230 V RMS

  for (const deg of [0, 30, 60, 90, 180]) {
    it(`current lagging by ${deg} degrees: P = Vrms * Irms * cos(phi), pf = cos(phi)`, () => {
      const phi = (deg * Math.PI) / 180;
      const { r, s } = feed(
        10,
        80,
        (ph) => 0.5 + 0.08 * Math.sin(ph - phi),
        (ph) => 0.5 + 0.3 * Math.sin(ph),
        { vcal: VCAL },
      );
      const irms = (ICAL * VREF * 0.08) / Math.SQRT2;
      const v = ctVoltage(s, VCAL * VREF);
      expect(v).toBeCloseTo(230, 3);
      expect(r.current_A).toBeCloseTo(irms, 3);
      expect(r.power_W!).toBeCloseTo(230 * irms * Math.cos(phi), 1);
      expect(ctPowerFactor(r.power_W!, v, r.current_A)!).toBeCloseTo(Math.cos(phi), 4);
    });
  }

  it("without a voltage reference there is no real power", () => {
    expect(feed(10, 40, (ph) => 0.5 + 0.1 * Math.sin(ph)).r.power_W).toBeUndefined();
  });

  it("phase correction puts back a voltage sample read one step late", () => {
    // The voltage is read half a sample interval after the current; phase 0.5 interpolates it back.
    const per = 100;
    const late = Math.PI / per; // half of one sample step, in radians
    const run = (phase: number) => {
      const { r, s } = feed(
        10,
        per,
        (ph) => 0.5 + 0.08 * Math.sin(ph - Math.PI / 3),
        (ph) => 0.5 + 0.3 * Math.sin(ph + late),
        { vcal: VCAL, phase },
      );
      return ctPowerFactor(r.power_W!, ctVoltage(s, VCAL * VREF), r.current_A)!;
    };
    const exact = Math.cos(Math.PI / 3);
    expect(Math.abs(run(1) - exact)).toBeGreaterThan(0.01); // uncorrected: 1.8 degrees off
    expect(Math.abs(run(0.5) - exact)).toBeLessThan(0.001);
  });
});

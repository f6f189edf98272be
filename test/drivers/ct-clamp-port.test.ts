import { describe, expect, it } from "vitest";
import { ctVoltage, ctPowerFactor } from "../../firmware/drivers/ct-clamp";
import { CtClamp, ctMeasure, ctPoll } from "../../firmware/drivers/ct-clamp-port";

const ICAL = 2000 / 33;
const VREF = 3.3;

/**
 * Pins read through a clock that each analogRead moves on by `cost` seconds, as on the interpreter where a
 * read takes tens of microseconds. The signal is a plain sine computed here, not the simulator's waveform.
 * Pin "I" is the CT, "U" the voltage reference.
 */
function rig(o: { cost: number; hz?: number; amp?: number; bias?: number; frozen?: boolean; clip?: boolean }) {
  const c = { t: 0.0123 };
  const w = 2 * Math.PI * (o.hz ?? 50);
  const hw = {
    pin: (name: string) => name,
    analogRead: (pin: string) => {
      if (!o.frozen) c.t += o.cost;
      const x = pin === "I" ? (o.bias ?? 0.5) + (o.amp ?? 0.05) * Math.sin(w * c.t) : 0.5 + 0.3 * Math.sin(w * c.t);
      return o.clip ? Math.min(1, Math.max(0, x)) : x;
    },
  };
  return { c, hw, clock: { seconds: () => c.t } };
}

const amps = (amp: number) => (ICAL * VREF * amp) / Math.SQRT2;
const clamp: CtClamp = { pin: "I", ical: ICAL, V: 230 };
const sums = () => new Float64Array(7);

describe("CT clamp measurement", () => {
  it("samples whole cycles for the configured time and reads the RMS current (50 Hz)", () => {
    const r = rig({ cost: 100e-6 });
    const s = sums();
    const m = ctMeasure(s, clamp, r.hw, r.clock, 50, 10, 1000)!;
    expect(s[0]).toBeGreaterThanOrEqual(1990); // samples
    expect(s[0]).toBeLessThanOrEqual(2010); // 10 cycles of 20 ms at 100 µs a read
    expect(Math.abs(m.current_A / amps(0.05) - 1)).toBeLessThan(0.002);
    expect(m.q).toBe("o");
    expect(Math.abs(r.c.t - 0.0123 - 0.2)).toBeLessThan(10 * 100e-6); // each window overruns by under one read
  });

  it("60 Hz mains: windows of 1/60 s", () => {
    const r = rig({ cost: 80e-6, hz: 60, amp: 0.02 });
    const s = sums();
    const m = ctMeasure(s, clamp, r.hw, r.clock, 60, 6, 1000)!;
    expect(Math.abs(s[0] - 0.1 / 80e-6)).toBeLessThanOrEqual(6);
    expect(Math.abs(m.current_A / amps(0.02) - 1)).toBeLessThan(0.003);
  });

  it("marks fewer than 20 samples per cycle as estimated", () => {
    const r = rig({ cost: 1.2e-3 }); // about 16 a cycle
    const m = ctMeasure(sums(), clamp, r.hw, r.clock, 50, 10, 1000);
    expect(m).toBeDefined();
    expect(m!.q).toBe("e");
  });

  it("a clock that does not move cannot hang the loop: windows end at `max`, reading estimated", () => {
    const r = rig({ cost: 0, frozen: true });
    const s = sums();
    const m = ctMeasure(s, clamp, r.hw, r.clock, 50, 4, 300)!;
    expect(s[0]).toBe(1200);
    expect(m.q).toBe("e");
  });

  it("a lost bias (pin at 0 V) is a failed sensor", () => {
    const r = rig({ cost: 100e-6, bias: 0, amp: 0 });
    expect(ctMeasure(sums(), clamp, r.hw, r.clock, 50, 10, 1000)).toBeUndefined();
    const got: [string, number | null, string][] = [];
    ctPoll([clamp], r.hw, r.clock, 5, (k, v, q) => got.push([k, v, q]));
    expect(got).toEqual([
      ["ct1_A", null, "f"],
      ["ct1_W", null, "f"],
    ]);
  });

  it("a clipped waveform is estimated", () => {
    const r = rig({ cost: 100e-6, amp: 0.6, clip: true });
    const s = sums();
    const m = ctMeasure(s, clamp, r.hw, r.clock, 50, 10, 1000)!;
    expect(s[1]).toBeGreaterThan(0); // clipped samples
    expect(m.q).toBe("e");
  });

  it("with a voltage reference: Vrms, power and pf (phase-corrected for the read order)", () => {
    const r = rig({ cost: 50e-6 });
    const vcal = 230 / ((0.3 * VREF) / Math.SQRT2);
    const s = sums();
    const m = ctMeasure(s, { ...clamp, vpin: "U", vcal, phase: 0.5 }, r.hw, r.clock, 50, 10, 1000)!;
    const v = ctVoltage(s, vcal * VREF);
    expect(v).toBeCloseTo(230, 0);
    expect(Math.abs(ctPowerFactor(m.power_W!, v, m.current_A)! - 1)).toBeLessThan(0.001);
    expect(Math.abs(m.power_W! / (230 * amps(0.05)) - 1)).toBeLessThan(0.003);
  });
});

describe("CT clamp quantities", () => {
  it("ctN_A and apparent power ctN_W from the nominal volts, estimated, for each clamp (10 cycles of 50 Hz)", () => {
    const r = rig({ cost: 100e-6 });
    const got: Record<string, [number | null, string, number]> = {};
    ctPoll([clamp, { pin: "I", ical: ICAL / 2, V: 120 }], r.hw, r.clock, 42, (k, v, q, t) => (got[k] = [v, q, t]));
    expect(Object.keys(got)).toEqual(["ct1_A", "ct1_W", "ct2_A", "ct2_W"]);
    expect(Math.abs(got.ct1_A[0]! / amps(0.05) - 1)).toBeLessThan(0.002);
    expect(got.ct1_A.slice(1)).toEqual(["o", 42]);
    expect(got.ct1_W[0]).toBeCloseTo(got.ct1_A[0]! * 230, 9);
    expect(got.ct1_W[1]).toBe("e");
    expect(Math.abs(got.ct2_A[0]! / (amps(0.05) / 2) - 1)).toBeLessThan(0.002);
    expect(got.ct2_W[0]).toBeCloseTo(got.ct2_A[0]! * 120, 9);
    expect(Math.abs(r.c.t - 0.0123 - 0.4)).toBeLessThan(20 * 100e-6); // 2 x 10 windows of 20 ms
  });

  it("a clamp set to 60 Hz measures 10 windows of 1/60 s (whole cycles), one left at 50 Hz 10 of 1/50 s", () => {
    for (const [Hz, span] of [[60, 10 / 60], [undefined, 10 / 50]] as const) {
      const r = rig({ cost: 100e-6, hz: 60 });
      const got: Record<string, number | null> = {};
      ctPoll([{ ...clamp, Hz }], r.hw, r.clock, 0, (k, v) => (got[k] = v));
      expect(Math.abs(r.c.t - 0.0123 - span)).toBeLessThan(10 * 100e-6);
      expect(Math.abs(got.ct1_A! / amps(0.05) - 1)).toBeLessThan(0.002);
    }
  });

  it("real power with a voltage reference, with the measurement's quality", () => {
    const r = rig({ cost: 50e-6 });
    const vcal = 230 / ((0.3 * VREF) / Math.SQRT2);
    const got: Record<string, [number | null, string]> = {};
    ctPoll([{ ...clamp, vpin: "U", vcal, phase: 0.5 }], r.hw, r.clock, 0, (k, v, q) => (got[k] = [v, q]));
    expect(Math.abs(got.ct1_W[0]! / (230 * amps(0.05)) - 1)).toBeLessThan(0.003);
    expect(got.ct1_W[1]).toBe("o");
  });
});

import { describe, expect, it } from "vitest";
import { CtRms } from "../../firmware/drivers/ct-clamp";
import { CT_ESTIMATED, CT_FAILED, CT_OK, CtPort } from "../../firmware/drivers/ct-clamp-port";
import type { CtReading } from "../../firmware/drivers/ct-clamp";

const ICAL = 2000 / 33;
const VREF = 3.3;

/**
 * A pin read through a clock that each analogRead moves on by `cost` seconds, as on the interpreter where a
 * read takes tens of microseconds. The signal is a plain sine computed here, not the simulator's waveform.
 */
function rig(o: { cost: number; hz?: number; amp?: number; bias?: number; frozen?: boolean }) {
  const c = { t: 0.0123 };
  const w = 2 * Math.PI * (o.hz ?? 50);
  const readI = () => {
    if (!o.frozen) c.t += o.cost;
    return (o.bias ?? 0.5) + (o.amp ?? 0.05) * Math.sin(w * c.t);
  };
  const readV = () => {
    if (!o.frozen) c.t += o.cost;
    return 0.5 + 0.3 * Math.sin(w * c.t);
  };
  return { c, readI, readV, now: () => c.t };
}

const amps = (amp: number) => (ICAL * VREF * amp) / Math.SQRT2;

describe("CtPort", () => {
  it("samples whole cycles for the configured time and reads the RMS current (50 Hz)", () => {
    const r = rig({ cost: 100e-6 });
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), r.readI, r.now, { hz: 50, cycles: 10 });
    const m = port.burst()!;
    expect(m.n).toBeGreaterThanOrEqual(1990);
    expect(m.n).toBeLessThanOrEqual(2010); // 10 cycles of 20 ms at 100 µs a read
    expect(Math.abs(m.current_A / amps(0.05) - 1)).toBeLessThan(0.002);
    expect(port.quality()).toBe(CT_OK);
    expect(Math.abs(r.c.t - 0.0123 - 0.2)).toBeLessThan(10 * 100e-6); // each window overruns by under one read
  });

  it("60 Hz mains: windows of 1/60 s", () => {
    const r = rig({ cost: 80e-6, hz: 60, amp: 0.02 });
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), r.readI, r.now, { hz: 60, cycles: 6 });
    const m = port.burst()!;
    expect(Math.abs(m.n - 0.1 / 80e-6)).toBeLessThanOrEqual(6);
    expect(Math.abs(m.current_A / amps(0.02) - 1)).toBeLessThan(0.003);
  });

  it("marks fewer than 20 samples per cycle as estimated", () => {
    const r = rig({ cost: 1.2e-3 }); // about 16 a cycle
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), r.readI, r.now, {});
    expect(port.burst()).toBeDefined();
    expect(port.quality()).toBe(CT_ESTIMATED);
  });

  it("a clock that does not move cannot hang the loop: windows end at `max`, reading estimated", () => {
    const r = rig({ cost: 0, frozen: true });
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), r.readI, r.now, { max: 300, cycles: 4 });
    const m = port.burst()!;
    expect(m.n).toBe(1200);
    expect(port.quality()).toBe(CT_ESTIMATED);
  });

  it("a lost bias (pin at 0 V) is a failed sensor, counted", () => {
    const r = rig({ cost: 100e-6, bias: 0, amp: 0 });
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), r.readI, r.now, {});
    expect(port.burst()).toBeUndefined();
    expect(port.quality()).toBe(CT_FAILED);
    expect(port.counters()).toEqual({ ok: 0, est: 0, failed: 1 });
  });

  it("a clipped waveform is estimated", () => {
    const r = rig({ cost: 100e-6, amp: 0.6 });
    const clipped = () => Math.min(1, Math.max(0, r.readI()));
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), clipped, r.now, {});
    expect(port.burst()!.clip).toBeGreaterThan(0);
    expect(port.quality()).toBe(CT_ESTIMATED);
  });

  it("with a voltage reference: Vrms, power and pf (phase-corrected for the read order)", () => {
    const r = rig({ cost: 50e-6 });
    const vcal = 230 / ((0.3 * VREF) / Math.SQRT2);
    const acc = new CtRms({ ical: ICAL, vref_V: VREF, vcal, phase: 0.5 });
    const port = new CtPort(acc, r.readI, r.now, {}, r.readV);
    const m = port.burst()!;
    expect(m.voltage_V!).toBeCloseTo(230, 0);
    expect(Math.abs(m.pf! - 1)).toBeLessThan(0.001);
    expect(Math.abs(m.power_W! / (230 * amps(0.05)) - 1)).toBeLessThan(0.003);
  });

  it("measure() takes one cycle per timer tick and gives the same reading", async () => {
    const r = rig({ cost: 100e-6 });
    const port = new CtPort(new CtRms({ ical: ICAL, vref_V: VREF }), r.readI, r.now, { cycles: 5 });
    const m = await new Promise<CtReading | undefined>((res) => port.measure(res));
    expect(m).toBeDefined();
    expect(Math.abs(m!.current_A / amps(0.05) - 1)).toBeLessThan(0.002);
    expect(Math.abs(m!.n - 1000)).toBeLessThanOrEqual(5);
    expect(port.quality()).toBe(CT_OK);
    expect(port.counters().ok).toBe(1);
  });
});

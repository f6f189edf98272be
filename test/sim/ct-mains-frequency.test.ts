// The mains frequency of a site (50 or 60 Hz) from the site description through the node's settings (each clamp's
// Hz) to the measuring window: the simulator's CT waveform at the site's frequency, read by the board's CT driver
// through the virtual Espruino's pins and clock, as the firmware reads it.
import { describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { ctPoll } from "../../firmware/drivers/ct-clamp-port";
import type { CtSetting } from "../../firmware/drivers/ct-clamp-settings";
import { VirtualSite } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { checkSiteDescription, withDefaults } from "../../sim/site/site-description";

const startUnix = Date.UTC(2026, 5, 1, 19) / 1000; // evening: AC loads on

function siteAt(hz: number | undefined) {
  const model = syntheticSite();
  const site = new VirtualSite({ board: findBoard("pico")!, site: "s", node: "n", broker: { host: "127.0.0.1", port: 1 }, model, startUnix, mains_Hz: hz });
  const esp = site.esp;
  // what the firmware's analogRead does on the virtual board: a read takes virtual time, the pin gives the wave
  const hw = {
    pin: (name: string) => name,
    analogRead: (pin: string) => {
      esp.clock.nowMs += 0.05;
      return esp.pins.analogRead(pin);
    },
  };
  const clock = { seconds: () => esp.clock.nowMs / 1000 };
  const clamps = (site.settings() as { ct: CtSetting[] }).ct;
  return { site, hw, clock, clamps, expected_A: model(startUnix).ct_A };
}

function measure(hz: number | undefined, override?: Partial<CtSetting>) {
  const r = siteAt(hz);
  const clamps = r.clamps.map((c) => ({ ...c, ...override }));
  const got: Record<string, number | null> = {};
  // each clamp is measured, then its ctN_A and ctN_W reported: the time between two reports is one measurement
  const spans: number[] = [];
  let from = r.clock.seconds();
  ctPoll(clamps, r.hw, r.clock, 0, (k, v) => {
    got[k] = v;
    if (!k.endsWith("_A")) return;
    spans.push(r.clock.seconds() - from);
    from = r.clock.seconds();
  });
  return { got, spans, clamps, expected_A: r.expected_A };
}

describe("CT clamps on a 60 Hz site", () => {
  it("the node's settings carry the site's frequency to every clamp (50 when not given)", () => {
    expect(siteAt(60).clamps.map((c) => c.Hz)).toEqual([60, 60]);
    expect(siteAt(undefined).clamps.map((c) => c.Hz)).toEqual([50, 50]);
  });

  it("measures 10 whole cycles of 60 Hz (1/6 s), and the current the site model gives", () => {
    const m = measure(60);
    for (let k = 0; k < m.clamps.length; k++) {
      // ten windows of one period each, each overrunning by less than one read pair (0.05 ms a read)
      expect(Math.abs(m.spans[k] - 10 / 60)).toBeLessThan(10 * 0.1e-3);
      const want = m.expected_A[k];
      expect(want).toBeGreaterThan(0.5);
      expect(Math.abs(m.got[`ct${k + 1}_A`]! / want - 1), `ct${k + 1}`).toBeLessThan(0.01);
    }
  });

  it("a clamp left at 50 Hz on the 60 Hz site measures windows of 1/50 s, 1.2 cycles each", () => {
    const m = measure(60, { Hz: undefined });
    for (const s of m.spans) expect(Math.abs(s - 10 / 50)).toBeLessThan(10 * 0.1e-3);
  });

  it("the site description takes inverter.ac_Hz 50 or 60 and refuses anything else by name", () => {
    const d = { array_kWp: 1, battery: { kWh: 4, chemistry: "lead-acid" as const } };
    expect(withDefaults(d).inverter.ac_Hz).toBe(50);
    expect(withDefaults({ ...d, inverter: { ac_Hz: 60 } }).inverter.ac_Hz).toBe(60);
    expect(checkSiteDescription({ ...d, inverter: { ac_Hz: 55 } })).toEqual(["inverter.ac_Hz: must be 50 or 60 (the mains frequency the CT clamps measure)"]);
  });
});

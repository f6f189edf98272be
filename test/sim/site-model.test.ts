import { describe, expect, it } from "vitest";
import { readTraceFile } from "../../sim/traces/read-trace";
import { SiteModel } from "../../sim/site/site-model";
import { SiteDescription, checkSiteDescription } from "../../sim/site/site-description";
import { chemistries, ocvPerCell } from "../../sim/site/battery";

const ghi = readTraceFile(new URL("../fixtures/real/traces/midc_bms_ghi_20220120.csv", import.meta.url).pathname);
const day0 = ghi.t[0];

function run(desc: SiteDescription, hours: number, seed = 1) {
  const m = new SiteModel(desc, ghi, { seed });
  const out = [];
  for (let t = day0; t < day0 + hours * 3600; t += 60) out.push(m.at(t));
  return out;
}

describe("site model", () => {
  it("an undersized site: the LVD cuts the load at night and reconnects once the sun charges the battery", () => {
    const s = run({ array_kWp: 1.2, utcOffset_h: -7, battery: { kWh: 2.4, chemistry: "lead-acid", initialSoc_pct: 40 } }, 48);
    const cut = s.findIndex((x) => !x.loadOn);
    expect(cut).toBeGreaterThan(0);
    expect(s[cut + 1].load_W).toBe(0);
    expect(s[cut - 1].battery_V).toBeLessThan(chemistries["lead-acid"].lvd_V * 6);
    const back = s.findIndex((x, i) => i > cut && x.loadOn);
    expect(back).toBeGreaterThan(cut);
    expect(s[back].pv_W).toBeGreaterThan(0);
    expect(s[back].battery_V).toBeGreaterThanOrEqual(chemistries["lead-acid"].lvr_V * 6);
    expect(s[back + 1].load_W).toBeGreaterThan(0);
  });

  it("a well-sized site goes bulk, absorption, then float, and the battery stays within its set points", () => {
    for (const chemistry of ["lead-acid", "lifepo4"] as const) {
      const s = run({ array_kWp: 4, utcOffset_h: -7, battery: { kWh: 3, chemistry, initialSoc_pct: 60 }, feeders: [{ name: "a", kind: "dc", profile_W: Array(24).fill(20) }] }, 24);
      const stages = s.map((x) => x.stage).filter((x, i, a) => i === 0 || x !== a[i - 1]);
      expect(stages.join(" ")).toContain("bulk absorption float");
      const c = chemistries[chemistry];
      const cells = chemistry === "lifepo4" ? 4 : 6;
      for (const x of s) expect(x.battery_V).toBeLessThanOrEqual(c.absorption_V * cells + 1e-6);
      const floats = s.filter((x) => x.stage === "float");
      expect(Math.max(...floats.map((x) => x.battery_V))).toBeLessThanOrEqual(c.float_V * cells + 1e-6);
      expect(Math.max(...s.map((x) => x.soc_pct))).toBeGreaterThan(95);
      // the controller curtails PV it cannot use
      expect(floats.some((x) => x.pv_W < x.pvAvailable_W! - 100)).toBe(true);
    }
  });

  it("inverter losses: AC loads cost rating-capped AC / efficiency plus idle", () => {
    const s = run({ array_kWp: 1, battery: { kWh: 10, chemistry: "lifepo4" }, loadNoise: 0, inverter: { rating_W: 300, efficiency: 0.8, idle_W: 10 }, feeders: [{ name: "m", kind: "ac", profile_W: Array(24).fill(500) }] }, 1);
    expect(s[0].load_W).toBeCloseTo(300 / 0.8 + 10, 6);
    expect(s[0].inverterLoss_W).toBeCloseTo(300 / 0.8 + 10 - 300, 6);
    expect(s[0].ct_A[0]).toBeCloseTo(300 / 230, 6);
  });

  it("deterministic for a seed, different for another; a time shift moves the sun", () => {
    const d: SiteDescription = { array_kWp: 2, utcOffset_h: -7, battery: { kWh: 5, chemistry: "lead-acid" } };
    const a = run(d, 6, 7).map((x) => x.load_W);
    expect(run(d, 6, 7).map((x) => x.load_W)).toEqual(a);
    expect(run(d, 6, 8).map((x) => x.load_W)).not.toEqual(a);
    const m = new SiteModel(d, ghi, { shift_s: 6 * 3600 });
    const noon = day0 + 19 * 3600; // 12:00 local
    expect(m.pvAvailable(noon - 6 * 3600)).toBeCloseTo(new SiteModel(d, ghi).pvAvailable(noon), 6);
  });

  it("refuses a bad description with every problem named", () => {
    const e = checkSiteDescription({ array_kWp: 0, battery: { kWh: 1, chemistry: "nicd" as never }, feeders: [{ name: "x", kind: "dc", profile_W: [1] }] });
    expect(e.join("\n")).toMatch(/array_kWp/);
    expect(e.join("\n")).toMatch(/chemistry/);
    expect(e.join("\n")).toMatch(/profile_W/);
    expect(ocvPerCell(chemistries.lifepo4, 50)).toBeCloseTo(3.28);
  });
});

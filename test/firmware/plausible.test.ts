// What a reading can be (firmware/protocol/plausible.ts): every bound, just inside and just outside, the charge
// states, and the values damaged blocks were seen to carry; then the sampler leaving such a reading out of the row,
// failed, and counting it.
import { describe, expect, it } from "vitest";
import { CHARGE_STATES, implausible, PLAUSIBLE } from "../../firmware/protocol/plausible";
import { batteryTable, chargerTable, channelDefs, ctTable, feederTable, inverterTable } from "../../firmware/protocol/channels";
import { createSampler } from "../../firmware/app/sampler";

/** The bounds as [key, low, high]. */
const bounds = () => {
  const w = PLAUSIBLE.trim().split(" ");
  const out: [string, number, number][] = [];
  for (let i = 0; i < w.length; i += 3) out.push([w[i], +w[i + 1], +w[i + 2]]);
  return out;
};
const channelKeys = new Set(channelDefs([batteryTable, chargerTable, inverterTable].join(" ")).map((d) => d.key));

describe("plausible ranges", () => {
  it("name quantities of the channel table, once each, with a low bound under the high one", () => {
    const b = bounds();
    expect(PLAUSIBLE.split(" ").length % 3).toBe(1); // the leading space, then three words a quantity
    expect(new Set(b.map(([k]) => k)).size).toBe(b.length);
    for (const [key, lo, hi] of b) {
      expect(channelKeys.has(key), key).toBe(true);
      expect(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi, key).toBe(true);
    }
  });

  it("take every value within the bounds, both included, and refuse the next one out on either side", () => {
    for (const [key, lo, hi] of bounds()) {
      for (const v of [lo, hi, (lo + hi) / 2]) expect(implausible(key, v), `${key} ${v}`).toBe(false);
      for (const v of [lo - 0.001, hi + 0.001, lo - 1e6, hi * 1000 + 1]) expect(implausible(key, v), `${key} ${v}`).toBe(true);
    }
  });

  it("hold the devices' own limits", () => {
    const cases: [string, number, boolean][] = [
      ["battery_V", 12.6, false], ["battery_V", 58.4, false], ["battery_V", 70, false], ["battery_V", 70.01, true], ["battery_V", -0.1, true],
      ["battery_soc_pct", 0, false], ["battery_soc_pct", 100, false], ["battery_soc_pct", 100.1, true],
      ["battery_ttg_min", -1, false], ["battery_ttg_min", 14400, false], ["battery_ttg_min", -2, true],
      ["battery_consumed_Ah", 0, false], ["battery_consumed_Ah", -1250.3, false], ["battery_consumed_Ah", 0.1, true],
      ["battery_temp_C", -40, false], ["battery_temp_C", 100, false], ["battery_temp_C", -41, true], ["battery_temp_C", 327.67, true],
      ["pv_V", 0, false], ["pv_V", 245, false], ["pv_V", 655.35, true],
      ["battery_A", -499.9, false], ["battery_A", 2000.1, true],
      ["load_W", 6000, false], ["ac_out_V", 231, false], ["ac_out_V", 6553.5, true],
    ];
    for (const [key, v, bad] of cases) expect(implausible(key, v), `${key} ${v}`).toBe(bad);
  });

  it("refuse the values seen in blocks that passed VE.Direct's checksum: SOC 14,932 %, CS 39, a time-to-go of years", () => {
    expect(implausible("battery_soc_pct", 14932)).toBe(true);
    expect(implausible("charge_state", 39)).toBe(true);
    expect(implausible("battery_ttg_min", 3 * 365 * 24 * 60)).toBe(true);
  });

  it("take the charge states a solar charger reports and no other", () => {
    const ok = [0, 2, 3, 4, 5, 7, 245, 247, 252];
    expect(CHARGE_STATES.trim().split(" ").slice(0, -1).map(Number)).toEqual(ok);
    for (let v = -1; v <= 256; v++) expect(implausible("charge_state", v), `CS ${v}`).toBe(!ok.includes(v));
    expect(implausible("charge_state", 3.5)).toBe(true);
    expect(implausible("charge_state", 25)).toBe(true); // a prefix of 252
  });

  it("take any value of a quantity without bounds: feeders and CT clamps, whose chips bound them", () => {
    const keys = channelDefs(feederTable + " " + ctTable).map((d) => d.key.replace("#", "1"));
    for (const key of keys) expect(implausible(key, -1e9), key).toBe(false);
    expect(implausible("battery", 1e9)).toBe(false); // a prefix of a key is not the key
    expect(implausible("V", 1e9)).toBe(false);
  });
});

describe("sampler: an implausible reading", () => {
  const table = "1 battery_V mean 3 6 battery_soc_pct last 1 25 charge_state last 0";
  const rowOf = (s: ReturnType<typeof createSampler>) => {
    const [r, q] = s.row();
    return { r: JSON.parse(r) as (number | null)[], q };
  };

  it("is left out of the row, null (never 0) and failed, and counted", () => {
    const s = createSampler(table, 30, {});
    s.add("battery_V", 12.5, "o", 0);
    s.add("battery_soc_pct", 14932, "o", 0);
    s.add("charge_state", 39, "o", 0);
    expect(rowOf(s)).toEqual({ r: [12500, null, null], q: "off" });
    expect(s.bad).toBe(2);
  });

  it("among good readings: the row keeps the good ones' value, marked failed for the interval", () => {
    const s = createSampler(table, 30, {});
    s.add("battery_V", 12.4, "o", 0);
    s.add("battery_V", 1240, "o", 1); // a digit too many
    s.add("battery_V", 12.6, "o", 2);
    s.add("battery_soc_pct", 81.5, "o", 0);
    s.add("battery_soc_pct", -3, "o", 1);
    expect(rowOf(s)).toEqual({ r: [12500, 815, null], q: "ffs" });
    expect(s.bad).toBe(2);
    // the next interval with good readings only is ok again
    s.add("battery_V", 12.5, "o", 60);
    s.add("battery_soc_pct", 81.4, "o", 60);
    s.add("charge_state", 3, "o", 60);
    expect(rowOf(s)).toEqual({ r: [12500, 814, 3], q: "ooo" });
    expect(s.bad).toBe(2);
  });

  it("a value already missing is not counted; a quantity outside the table is not looked at", () => {
    const s = createSampler(table, 30, {});
    s.add("battery_V", null, "f", 0);
    s.add("pv_V", 1e6, "o", 0);
    expect(s.bad).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { newDebounce, step, lowCondition } from "../../gateway/alarms/debounce";
import { NodeAlarms, Frame, Transition, sensorDevice } from "../../gateway/alarms/rules";
import { defaultSiteAlarms, siteAlarms, SiteAlarmsConfig, alarmsConfigSchema } from "../../gateway/alarms/config";
import { sunElevation_deg, expectedPv_W } from "../../gateway/alarms/solar";
import Ajv from "ajv";

const T0 = Date.UTC(2026, 5, 1, 0, 0, 0);
const MIN = 60_000;

function frame(k: number, r: Record<string, number | null>, q: Record<string, string> = {}): Frame {
  const out: Frame = { ts: T0 + k * MIN, span_ms: MIN, r: {} };
  for (const [key, v] of Object.entries(r)) out.r[key] = { v, q: q[key] ?? (v === null ? "f" : "o") };
  return out;
}

function run(series: Record<string, number | null>[], cfg: SiteAlarmsConfig = defaultSiteAlarms, n = new NodeAlarms()): (Transition & { k: number })[] {
  const out: (Transition & { k: number })[] = [];
  series.forEach((r, k) => {
    for (const t of n.evaluate(frame(k, r), cfg)) out.push({ ...t, k });
  });
  return out;
}

describe("debounce state machine", () => {
  const timing = { raise_after_s: 300, clear_after_s: 600 };
  it("raises only after the condition held for raise_after_s, counting the reading's span", () => {
    const st = newDebounce();
    const got = [0, 1, 2, 3, 4].map((k) => step(st, T0 + k * MIN, MIN, "raise", timing));
    expect(got).toEqual([null, null, null, null, "raised"]);
    expect(st.active).toBe(true);
  });
  it("a reading in the hysteresis band abandons a pending change; unknown keeps it", () => {
    const st = newDebounce();
    step(st, T0, MIN, "raise", timing);
    step(st, T0 + MIN, MIN, "raise", timing);
    step(st, T0 + 2 * MIN, MIN, "between", timing);
    expect(st.since).toBe(-1);
    for (let k = 3; k < 7; k++) expect(step(st, T0 + k * MIN, MIN, "raise", timing)).toBeNull();
    expect(step(st, T0 + 7 * MIN, MIN, "unknown", timing)).toBeNull();
    expect(step(st, T0 + 8 * MIN, MIN, "raise", timing)).toBe("raised");
  });
  it("clears after clear_after_s and ignores readings older than the last one", () => {
    const st = newDebounce(true);
    const got: (string | null)[] = [];
    for (let k = 0; k < 10; k++) got.push(step(st, T0 + k * MIN, MIN, "clear", timing));
    expect(got.indexOf("cleared")).toBe(9);
    expect(step(st, T0, MIN, "raise", { raise_after_s: 0, clear_after_s: 0 })).toBeNull();
  });
  it("lowCondition has a band between the thresholds", () => {
    expect(lowCondition(29, 30, 40)).toBe("raise");
    expect(lowCondition(35, 30, 40)).toBe("between");
    expect(lowCondition(41, 30, 40)).toBe("clear");
    expect(lowCondition(null, 30, 40)).toBe("unknown");
  });
});

describe("alarm rules over synthetic series", () => {
  it("soc_low: raise below 30 % after 5 min, no flapping in the band, clear above 40 % after 10 min", () => {
    const soc = [50, 29, 28, 27, 26, 25, 25, 35, 31, 29, 35, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51];
    const t = run(soc.map((v) => ({ battery_soc_pct: v }))).filter((x) => x.rule === "soc_low");
    expect(t.map((x) => [x.kind, x.k])).toEqual([
      ["raised", 5],
      ["cleared", 20],
    ]);
    expect(t[0].message).toContain("25 %");
    expect(t[0].severity).toBe("warning");
  });
  it("battery_low_V defaults follow the bank: recognised from the first reading, or battery_system_V", () => {
    const volts = (v: number[], cfg: SiteAlarmsConfig) => run(v.map((x) => ({ battery_V: x })), cfg).filter((x) => x.rule === "battery_low_V");
    const sag = (nominal: number) => [1.08, 1.08, 0.94, 0.94, 0.94, 0.94].map((f) => Math.round(nominal * f * 100) / 100);
    // 12 V bank at 11.28 V (below 11.5): raised, with the scaled threshold in the message; 13 V is no alarm
    const twelve = volts(sag(12), defaultSiteAlarms);
    expect(twelve.map((x) => x.kind)).toEqual(["raised"]);
    expect(twelve[0].message).toBe("battery voltage 11.28 V (alarm below 11.5 V)");
    expect(volts([13.3, 13.3, 13.2, 13.2, 13.2], defaultSiteAlarms)).toEqual([]);
    expect(volts(sag(24), defaultSiteAlarms)[0].message).toContain("alarm below 23 V");
    expect(volts(sag(48), defaultSiteAlarms)[0].message).toContain("alarm below 46 V");
    // said in the settings: a 24 V bank whose first reading is very low is still judged as 24 V
    const said = siteAlarms({ enabled: true, defaults: { battery_system_V: 24 }, sites: {} }, "s");
    expect(volts([17, 17, 17, 17], said).map((x) => x.kind)).toEqual(["raised"]);
    expect(volts([17, 17, 17, 17], defaultSiteAlarms)).toEqual([]); // taken for a 12 V bank at 17 V
  });
  it("battery_low_V with site thresholds; a failed reading neither raises nor clears", () => {
    const cfg = siteAlarms({ enabled: true, defaults: {}, sites: { s: { battery_low_V: { raise_below_V: 23, clear_above_V: 24.4, raise_after_s: 60, clear_after_s: 60 } } } }, "s");
    const v = [25, 22.8, 22.7, null, 22.5, 24.0, 24.5, null, 24.6];
    const t = run(v.map((x) => ({ battery_V: x })), cfg).filter((x) => x.rule === "battery_low_V");
    expect(t.map((x) => [x.kind, x.k])).toEqual([
      ["raised", 1],
      ["cleared", 6],
    ]);
    expect(t[0].severity).toBe("critical");
  });
  it("charger and inverter faults raise on a non-zero code at once and clear after 60 s of zero", () => {
    const t = run([{ charger_fault: 0, inverter_fault: 0 }, { charger_fault: 4, inverter_fault: 0 }, { charger_fault: 0, inverter_fault: 2 }, { charger_fault: 0, inverter_fault: 0 }]);
    expect(t.map((x) => [x.rule, x.kind, x.k, x.value])).toEqual([
      ["charger_fault", "raised", 1, 4],
      ["charger_fault", "cleared", 2, 0],
      ["inverter_fault", "raised", 2, 2],
      ["inverter_fault", "cleared", 3, 0],
    ]);
  });
  it("overload only with a configured rating", () => {
    const series = [3500, 3600, 3700, 3000, 2000, 2000, 2000].map((w) => ({ ac_out_W: w }));
    expect(run(series)).toEqual([]);
    const cfg = { ...defaultSiteAlarms, inverter_rating_W: 3000 };
    const t = run(series, cfg);
    expect(t.map((x) => [x.rule, x.kind, x.k])).toEqual([
      ["overload", "raised", 0],
      ["overload", "cleared", 5],
    ]);
  });
  it("sensor_failed per device: quality f for 5 min raises one alarm naming the failed channels, good readings clear", () => {
    const n = new NodeAlarms();
    const out: Transition[] = [];
    for (let k = 0; k < 12; k++) {
      const failed = k >= 1 && k <= 7;
      const bmv = (v: number) => ({ v: failed ? null : v, q: failed ? "f" : "o" });
      out.push(...n.evaluate({ ts: T0 + k * MIN, span_ms: MIN, r: { battery_V: bmv(50), battery_A: bmv(3), battery_soc_pct: bmv(80), pv_W: { v: 100, q: "o" }, feeder2_W: { v: 9, q: "o" } } }, defaultSiteAlarms));
    }
    expect(out.map((x) => [x.rule, x.kind, x.ts])).toEqual([
      ["sensor_failed:battery", "raised", T0 + 6 * MIN],
      ["sensor_failed:battery", "cleared", T0 + 9 * MIN],
    ]);
    expect(out[0].message).toBe("battery monitor failed (battery_V, battery_A, battery_soc_pct)");
  });
  it("names the device of every channel key", () => {
    const pairs = ["battery_V", "battery_charge_Wh", "pv_W", "charge_state", "charger_fault", "load_Wh", "ac_out_W", "inverter_fault", "feeder3_A", "feeder12_Wh", "ct2_W", "temp_C"].map((k) => [k, sensorDevice(k)]);
    expect(Object.fromEntries(pairs)).toEqual({
      battery_V: "battery", battery_charge_Wh: "battery", pv_W: "charger", charge_state: "charger", charger_fault: "charger", load_Wh: "charger",
      ac_out_W: "inverter", inverter_fault: "inverter", feeder3_A: "feeder3", feeder12_Wh: "feeder12", ct2_W: "ct2", temp_C: "temp_C",
    });
  });
  it("node_offline raises after raise_after_s through tick, clears when online", () => {
    const n = new NodeAlarms();
    expect(n.nodeState(T0, false, defaultSiteAlarms)).toEqual([]);
    expect(n.offlinePending()).toBe(true);
    expect(n.tick(T0 + 60_000, defaultSiteAlarms)).toEqual([]);
    expect(n.tick(T0 + 120_000, defaultSiteAlarms).map((x) => x.kind)).toEqual(["raised"]);
    expect(n.nodeState(T0 + 200_000, true, defaultSiteAlarms).map((x) => x.kind)).toEqual(["cleared"]);
    // back online before the delay: nothing raised
    n.nodeState(T0 + 300_000, false, defaultSiteAlarms);
    n.nodeState(T0 + 310_000, true, defaultSiteAlarms);
    expect(n.tick(T0 + 1_000_000, defaultSiteAlarms)).toEqual([]);
  });
  it("an alarm open in the store is not raised again after a restart", () => {
    const n = new NodeAlarms(["soc_low"]);
    const t = run([20, 20, 20, 20, 20, 20].map((v) => ({ battery_soc_pct: v })), defaultSiteAlarms, n);
    expect(t).toEqual([]);
    expect(n.isActive("soc_low")).toBe(true);
  });
});

describe("pv_low with the daylight model", () => {
  // Nairobi, 1 June: solar noon near 09:25 UTC
  const site = { ...defaultSiteAlarms, latitude_deg: -1.29, longitude_deg: 36.82, pv_kWp: 5 };
  it("sun elevation is high at solar noon near the equator and negative at midnight", () => {
    expect(sunElevation_deg(Date.UTC(2026, 5, 1, 9, 25), -1.29, 36.82)).toBeGreaterThan(60);
    expect(sunElevation_deg(Date.UTC(2026, 5, 1, 21, 25), -1.29, 36.82)).toBeLessThan(-60);
    // Equinox, on the equator at Greenwich: near 90 deg at about 12:07 UTC (equation of time)
    expect(sunElevation_deg(Date.UTC(2026, 2, 21, 12, 7), 0, 0)).toBeGreaterThan(87);
    const e = expectedPv_W(Date.UTC(2026, 5, 1, 9, 25), { ...site.pv_low, kWp: 5, latitude_deg: -1.29, longitude_deg: 36.82 })!;
    expect(e).toBeGreaterThan(3000);
    expect(e).toBeLessThan(3750);
  });
  it("raises after two hours far below the expectation in daylight, never at night, not with a full battery", () => {
    const n = new NodeAlarms();
    const start = Date.UTC(2026, 5, 1, 7, 0);
    const got: Transition[] = [];
    for (let k = 0; k < 180; k++) got.push(...n.evaluate({ ts: start + k * MIN, span_ms: MIN, r: { pv_W: { v: 100, q: "o" }, battery_soc_pct: { v: 60, q: "o" } } }, site));
    expect(got.map((x) => x.rule)).toEqual(["pv_low"]);
    expect(got[0].ts).toBe(start + 120 * MIN);

    const full = new NodeAlarms();
    let any = 0;
    for (let k = 0; k < 180; k++) any += full.evaluate({ ts: start + k * MIN, span_ms: MIN, r: { pv_W: { v: 100, q: "o" }, battery_soc_pct: { v: 95, q: "o" } } }, site).length;
    const night = new NodeAlarms();
    for (let k = 0; k < 180; k++) any += night.evaluate({ ts: Date.UTC(2026, 5, 1, 19, 0) + k * MIN, span_ms: MIN, r: { pv_W: { v: 0, q: "o" } } }, site).length;
    expect(any).toBe(0);
  });
});

describe("energy_balance", () => {
  const cfg = { ...defaultSiteAlarms, energy_balance: { ...defaultSiteAlarms.energy_balance, window_s: 3600 } };
  // per minute: 50 Wh PV; load 30 Wh; battery charge 15 Wh: 5 Wh losses (10 %)
  function counters(k: number, loadPerMin: number) {
    return { pv_Wh: 1000 + 50 * k, battery_charge_Wh: 200 + 15 * k, battery_discharge_Wh: 300, load_Wh: 5000 + loadPerMin * k };
  }
  it("stays quiet while the balance closes within the loss allowance", () => {
    expect(run(Array.from({ length: 180 }, (_, k) => counters(k, 30)), cfg)).toEqual([]);
  });
  it("raises when load energy exceeds what came in (energy from nowhere), clears when it closes again", () => {
    const series = Array.from({ length: 300 }, (_, k) => (k < 120 ? counters(k, 30) : k < 180 ? { ...counters(k, 30), load_Wh: 5000 + 30 * 120 + 60 * (k - 120) } : { ...counters(k, 30), load_Wh: 5000 + 30 * 120 + 60 * 60 + 30 * (k - 180) }));
    const t = run(series, cfg);
    expect(t.map((x) => [x.rule, x.kind])).toEqual([
      ["energy_balance", "raised"],
      ["energy_balance", "cleared"],
    ]);
    expect(t[0].value!).toBeLessThan(-100);
  });
  it("a counter that goes backwards restarts the window instead of raising", () => {
    const series = Array.from({ length: 100 }, (_, k) => (k < 70 ? counters(k, 30) : counters(k - 70, 30)));
    expect(run(series, cfg)).toEqual([]);
  });
});

describe("alarms config", () => {
  it("the schema accepts the defaults and site overrides and names a bad path", () => {
    const ajv = new Ajv({ allErrors: true });
    const validate = ajv.compile(alarmsConfigSchema);
    expect(validate({ enabled: true, defaults: defaultSiteAlarms, sites: { "site-1": { pv_kWp: 4, soc_low: { raise_below_pct: 20 } } } })).toBe(true);
    expect(validate({ enabled: true, defaults: {}, sites: { s: { soc_low: { raise_below_pct: 120 } } } })).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain("/sites/s/soc_low/raise_below_pct");
  });
  it("site overrides merge over defaults part by part", () => {
    const c = siteAlarms({ enabled: true, defaults: { soc_low: { raise_below_pct: 25 } }, sites: { a: { soc_low: { clear_above_pct: 50 } } } }, "a");
    expect(c.soc_low).toMatchObject({ raise_below_pct: 25, clear_above_pct: 50, raise_after_s: 300 });
    expect(c.battery_low_V).toEqual(defaultSiteAlarms.battery_low_V);
  });
});

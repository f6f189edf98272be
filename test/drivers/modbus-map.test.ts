import { describe, expect, it } from "vitest";
import { epeverChargerStatus, epeverClock, epeverLive, epeverRated, epeverSettings, epeverBatteryStatus } from "../../firmware/drivers/maps/epever-tracer";
import { growattSpf } from "../../firmware/drivers/maps/growatt-spf";
import { sunspecInverter } from "../../firmware/drivers/maps/sunspec";
import { decodeBlocks, defineMap, fieldFc, HOLDING, LOW_FIRST, planReads, RegMap, scale, SIGNED } from "../../firmware/drivers/modbus-map";
import { parseRequest, parseResponse } from "../../firmware/drivers/modbus-rtu";
import { hexToBin, hexToBytes, loadPairs } from "./modbus-fixture";

// Register images (address -> value) of the real capture: every FC 04 and FC 03 answer, one register each.
const input = new Map<number, number>();
const holding = new Map<number, number>();
for (const p of loadPairs()) {
  const q = parseRequest(hexToBin(p.request));
  const r = parseResponse(hexToBin(p.response), hexToBytes(p.request));
  if (!r.v) continue;
  r.v.forEach((x, i) => (q.f === 4 ? input : holding).set(q.a + i, x));
}

/** Decodes every field of a map from the capture, reading each field as its own block. */
function fromCapture(m: RegMap) {
  const plan: number[] = [];
  const blocks: (number[] | null)[] = [];
  m.k.forEach((_k, i) => {
    const bank = m.t[i] & HOLDING ? holding : input;
    const regs: number[] = [];
    for (let j = 0; j < m.w[i]; j++) regs.push(bank.get(m.r[i] + j) ?? -1);
    plan.push(fieldFc(m, i), m.r[i], m.w[i]);
    blocks.push(regs.includes(-1) ? null : regs);
  });
  return decodeBlocks(m, new Uint16Array(plan), blocks);
}

describe("EPEver map on the real Tracer2215BN capture (night)", () => {
  const live = fromCapture(epeverLive());

  it("gives the values SOURCES.md names: PV 1.97 V, battery 12.96 V", () => {
    expect(live.pv_V).toBe(1.97);
    expect(live.battery_V).toBe(12.96);
  });

  it("decodes the rest of the live block", () => {
    expect(live).toMatchObject({
      pv_A: 0, pv_W: 0, battery_charge_A: 0, battery_charge_W: 0, load_V: 12.95, load_A: 0, load_W: 0,
      battery_temp_C: 25, case_temp_C: 28.89, heatsink_temp_C: 28.89, soc_pct: 70,
      remote_battery_temp_C: 25, system_rated_V: 12, battery_status: 0, charger_status: 1,
      pv_max_today_V: 2.04, pv_min_today_V: 1.9, battery_max_today_V: 12.98, battery_min_today_V: 12.95,
      energy_consumed_today_kWh: 0, energy_consumed_month_kWh: 0.02, energy_consumed_year_kWh: 1.62,
      energy_consumed_total_kWh: 1.62, energy_generated_today_kWh: 0, energy_generated_month_kWh: 0.11,
      energy_generated_year_kWh: 2.78, energy_generated_total_kWh: 2.78, battery_stats_temp_C: 25, ambient_temp_C: 25,
    });
  });

  it("leaves registers the capture never read as null, not 0", () => {
    expect(live.load_status).toBeNull(); // 0x3202
    expect(live.battery_stats_V).toBeNull(); // 0x331A
  });

  it("shows why a 32-bit value must be read in one request: 0x331B and 0x331C read apart are torn", () => {
    // Read one register at a time around a current near zero: low word 0x0000, high word 0xFFFF.
    expect(input.get(0x331b)).toBe(0);
    expect(input.get(0x331c)).toBe(0xffff);
    expect(live.battery_net_A).toBe(-655.36);
    const plan = planReads(epeverLive());
    const block = Array.from({ length: plan.length / 3 }, (_, j) => [plan[j * 3 + 1], plan[j * 3 + 2]]);
    expect(block.some(([s, n]) => s <= 0x331b && s + n >= 0x331d)).toBe(true);
  });

  it("decodes the status words", () => {
    expect(epeverBatteryStatus(live.battery_status as number)).toEqual({ v: 0, t: 0 });
    expect(epeverChargerStatus(live.charger_status as number)).toEqual({ run: true, fault: false, ch: 0 });
    expect(epeverChargerStatus(0x0009)).toEqual({ run: true, fault: false, ch: 2 });
  });

  it("decodes rated data and battery settings", () => {
    expect(fromCapture(epeverRated())).toEqual({
      pv_rated_V: 150, pv_rated_A: 20, pv_rated_W: 520, battery_rated_V: 24, charge_rated_A: 20,
      charge_rated_W: 500, charging_mode: 2, load_rated_A: 20,
    });
    expect(fromCapture(epeverSettings())).toMatchObject({
      battery_type: 1, battery_capacity_Ah: 100, temp_compensation_mV_per_C_2V: 3, high_voltage_disconnect_V: 16,
      boost_V: 14.4, float_V: 13.8, low_voltage_reconnect_V: 12.6, low_voltage_disconnect_V: 11.1, discharging_limit_V: 10.6,
    });
  });

  it("decodes the controller clock from the 3-register read", () => {
    const p = loadPairs().find((x) => x.request.startsWith("01 03 90 13 00 03"))!;
    const r = parseResponse(hexToBin(p.response), hexToBytes(p.request));
    expect(epeverClock(r.v!)).toEqual({ y: 2015, mo: 7, d: 2, h: 2, mi: 24, s: 5 });
  });
});

describe("read planning", () => {
  it("plans the fewest contiguous blocks for the EPEver live map", () => {
    const p = Array.from(planReads(epeverLive()));
    expect(p).toEqual([
      4, 0x3100, 8, 4, 0x310c, 7, 4, 0x311a, 2, 4, 0x311d, 1, 4, 0x3200, 3, 4, 0x3300, 20, 4, 0x331a, 5,
    ]);
    // Allowing a few reserved registers in a block saves requests.
    expect(planReads(epeverLive(), 8).length / 3).toBe(3);
  });

  it("splits per function code and at 125 registers, never inside a field", () => {
    const rows: [string, number, number, number, number][] = [];
    for (let r = 0; r < 300; r += 2) rows.push(["x" + r, r, 2, 0, 0]);
    rows.push(["h", 10, 1, HOLDING, 0]);
    const p = Array.from(planReads(defineMap("t", rows)));
    expect(p).toEqual([3, 10, 1, 4, 0, 124, 4, 124, 124, 4, 248, 52]);
  });

  it("plans the Growatt map with scale factors and the SunSpec model with its SF registers", () => {
    expect(planReads(growattSpf()).length / 3).toBe(10);
    const p = Array.from(planReads(sunspecInverter(103, 40071)));
    expect(p).toEqual([3, 40071, 40]); // up to Evt1; the vendor event registers are not read
  });
});

describe("decoding", () => {
  it("scales without binary rounding surprises", () => {
    expect(scale(1296, -2)).toBe(12.96);
    expect(scale(197, -2)).toBe(1.97);
    expect(scale(7, 3)).toBe(7000);
  });

  it("handles signed and low-word-first fields and a failed block", () => {
    const m = defineMap("t", [
      ["a_W", 0, 2, LOW_FIRST | SIGNED, -1],
      ["b_W", 2, 2, SIGNED, -1],
      ["c_C", 10, 1, SIGNED, -1],
    ]);
    const p = planReads(m);
    expect(decodeBlocks(m, p, [[0xfff6, 0xffff, 0xffff, 0xfff6], null])).toEqual({ a_W: -1, b_W: -1, c_C: null });
    expect(decodeBlocks(m, p, [[0, 0], [0xfffb]])).toEqual({ a_W: 0, b_W: null, c_C: -0.5 }); // block too short for b_W
  });
});

import { describe, expect, it } from "vitest";
import { epeverLive, epeverSettings } from "../../firmware/drivers/maps/epever-tracer";
import { growattSpf } from "../../firmware/drivers/maps/growatt-spf";
import { RegMap, Values } from "../../firmware/drivers/modbus-map";
import { ModbusMaster, Q_OK } from "../../firmware/drivers/modbus-master";
import { ModbusPoller, scanSunSpec } from "../../firmware/drivers/modbus-poll";
import { adu, parseRequest, parseResponse, readRequest, writeMultipleRequest, writeSingleRequest } from "../../firmware/drivers/modbus-rtu";
import { WALK_DONE } from "../../firmware/drivers/modbus-sunspec";
import { SunSpecWalk } from "../../firmware/drivers/modbus-sunspec";
import { fillFromRecord, loadSunSpec } from "../../sim/devices/modbus-image";
import { ModbusSlave } from "../../sim/devices/modbus-slave";
import { binToHex, bytesToBin, hexToBin, hexToBytes, loadPairs } from "../drivers/modbus-fixture";
import { VirtualBus } from "./modbus-bus";

/** A slave holding exactly what the real Tracer2215BN capture shows. */
function tracerFromCapture(): ModbusSlave {
  const pairs = loadPairs();
  const idPair = pairs.find((p) => p.request.startsWith("01 2b"))!;
  const s = new ModbusSlave({ id: 1, deviceId: parseResponse(hexToBin(idPair.response)).o });
  for (const p of pairs) {
    const q = parseRequest(hexToBin(p.request));
    const r = parseResponse(hexToBin(p.response), hexToBytes(p.request));
    const bank = [null, s.coils, s.discrete, s.holding, s.input][q.f];
    if (!bank) continue;
    r.v?.forEach((x, i) => bank.set(q.a + i, x));
    r.b?.forEach((x, i) => bank.set(q.a + i, x));
  }
  return s;
}

function setup(slave: ModbusSlave, baud = 115200) {
  const bus = new VirtualBus();
  bus.attach(slave);
  const master = new ModbusMaster({
    port: bus.port, baud, clock: bus.clock, timers: bus.timers, de: bus.setDriverEnable, timeout_ms: 200, retries: 1,
  });
  master.start();
  return { bus, master };
}

function pollOnce(bus: VirtualBus, poller: ModbusPoller): { v: Values; q: number } {
  let got: { v: Values; q: number } | null = null;
  expect(poller.poll((v, q) => (got = { v, q }))).toBe(true);
  bus.runUntil(() => got !== null);
  expect(got).not.toBeNull();
  return got!;
}

/** Every key of `want` comes back within the resolution of its register (10^e). */
function expectWithinResolution(m: RegMap, got: Values, want: Values, res: (i: number) => number = (i) => Math.pow(10, m.e[i])) {
  for (let i = 0; i < m.k.length; i++) {
    const k = m.k[i];
    if (!(k in want)) continue;
    if (typeof want[k] === "number") expect(Math.abs((got[k] as number) - (want[k] as number)), k).toBeLessThanOrEqual(res(i) / 2 + 1e-9);
    else expect(got[k], k).toBe(want[k]);
  }
}

describe("slave model answers like the real Tracer2215BN", () => {
  it("answers all 232 captured requests byte for byte", () => {
    const s = tracerFromCapture();
    let same = 0;
    const pairs = loadPairs();
    for (const p of pairs) {
      // The controller's clock (0x9013..15) ticked between the reads: set it to what each read showed.
      const q = parseRequest(hexToBin(p.request));
      if (q.f === 3 && q.a >= 0x9013 && q.a <= 0x9015) parseResponse(hexToBin(p.response)).v!.forEach((x, i) => s.holding.set(q.a + i, x));
      const a = s.answer(hexToBin(p.request));
      expect(a && binToHex(a), p.request).toBe(p.response);
      same++;
    }
    expect(same).toBe(232);
    expect(s.stats.exceptions).toBe(115);
  });

  it("writes holding registers with FC 06 and FC 10, refuses unmapped ones, ignores other slaves and bad CRCs", () => {
    const s = tracerFromCapture();
    expect(binToHex(s.answer(bytesToBin(writeSingleRequest(1, 0x9001, 200)!))!)).toBe(binToHex(bytesToBin(writeSingleRequest(1, 0x9001, 200)!)));
    expect(s.holding.get(0x9001)).toBe(200);
    const w = s.answer(bytesToBin(writeMultipleRequest(1, 0x9013, [1, 2, 3])!))!;
    expect(parseResponse(w, writeMultipleRequest(1, 0x9013, [1, 2, 3])!).e).toBe(0);
    expect([0x9013, 0x9014, 0x9015].map((a) => s.holding.get(a))).toEqual([1, 2, 3]);
    expect(parseResponse(s.answer(bytesToBin(writeSingleRequest(1, 0x3100, 1)!))!).x).toBe(2);
    expect(parseResponse(s.answer(bytesToBin(readRequest(1, 4, 0x3100, 20)!))!).x).toBe(2); // reserved 0x3108..
    expect(s.answer(bytesToBin(readRequest(2, 4, 0x3100, 1)!))).toBeNull();
    const bad = bytesToBin(readRequest(1, 4, 0x3100, 1)!);
    expect(s.answer(bad.slice(0, 7) + "\x00")).toBeNull();
    expect(s.stats.badFrames).toBe(1);
    // FC 10 whose byte count (2) disagrees with its quantity (2 registers = 4 bytes): exception 03
    expect(parseResponse(s.answer(bytesToBin(adu([1, 0x10, 0x90, 0x13, 0, 2, 2, 0, 1])))!).x).toBe(3);
    expect(parseResponse(s.answer(bytesToBin(adu([1, 0x41, 0, 0])))!).x).toBe(1); // unknown function
  });
});

describe("values -> slave -> master -> the same values", () => {
  it("EPEver Tracer, every live field", () => {
    const slave = new ModbusSlave({ id: 1 });
    const want: Values = {
      pv_V: 38.42, pv_A: 5.31, pv_W: 204.01, battery_V: 13.57, battery_charge_A: 14.2, battery_charge_W: 192.7,
      load_V: 13.55, load_A: 2.5, load_W: 33.87, battery_temp_C: -4.5, case_temp_C: 31.25, heatsink_temp_C: 35.1,
      soc_pct: 87, remote_battery_temp_C: -4.5, system_rated_V: 12, battery_status: 0, charger_status: 0x0009,
      load_status: 1, pv_max_today_V: 44.1, pv_min_today_V: 0.52, battery_max_today_V: 14.41, battery_min_today_V: 12.3,
      energy_consumed_today_kWh: 0.43, energy_consumed_month_kWh: 12.04, energy_consumed_year_kWh: 140.5,
      energy_consumed_total_kWh: 1402.37, energy_generated_today_kWh: 0.97, energy_generated_month_kWh: 20.1,
      energy_generated_year_kWh: 230.11, energy_generated_total_kWh: 1234567.89, battery_stats_V: 13.57,
      battery_net_A: -3.21, battery_stats_temp_C: -4.5, ambient_temp_C: 29,
    };
    const map = epeverLive();
    fillFromRecord(slave, map, want);
    const { bus, master } = setup(slave);
    const got = pollOnce(bus, new ModbusPoller(master, 1, map));
    expect(got.q).toBe(Q_OK);
    expectWithinResolution(map, got.v, want);
    expect(Object.keys(got.v).length).toBe(Object.keys(want).length);
    expect(master.stats(1)).toMatchObject({ ok: 7, timeout: 0, crc: 0, quality: "ok" });
  });

  it("EPEver settings in holding registers", () => {
    const slave = new ModbusSlave({ id: 1 });
    const want: Values = { battery_type: 2, battery_capacity_Ah: 200, boost_V: 14.6, float_V: 13.7, low_voltage_disconnect_V: 11.2 };
    const map = epeverSettings();
    fillFromRecord(slave, map, want);
    const { bus, master } = setup(slave);
    expectWithinResolution(map, pollOnce(bus, new ModbusPoller(master, 1, map)).v, want);
  });

  it("Growatt SPF (high word first, signed battery power), 9600 baud, blocks merged over small gaps", () => {
    const slave = new ModbusSlave({ id: 3, baud: 9600, delay_ms: 20 });
    const want: Values = {
      status: 2, pv_V: 310.5, pv_W: 2150.3, ac_out_W: 1234.5, ac_out_VA: 1400, battery_V: 51.23, soc_pct: 64, ac_in_V: 0,
      ac_in_Hz: 0, ac_out_V: 230.1, ac_out_Hz: 50.01, inverter_temp_C: -2.5, ac_out_A: 5.4, fault_bits: 0,
      warning_bits: 4, fault_code: 0, warning_code: 3, energy_pv_today_kWh: 7.4, energy_pv_total_kWh: 123456.7, battery_W: -915.4,
    };
    const map = growattSpf();
    fillFromRecord(slave, map, want);
    for (let r = 0; r < 80; r++) if (!slave.input.has(r)) slave.input.set(r, 0); // the inverter answers its whole range
    const { bus, master } = setup(slave, 9600);
    const poller = new ModbusPoller(master, 3, map, 10);
    expect(Array.from(poller.p)).toEqual([4, 0, 52, 4, 77, 2]);
    const got = pollOnce(bus, poller);
    expect(got.q).toBe(Q_OK);
    expectWithinResolution(map, got.v, want);
  });

  it("SunSpec: finds model 1 and 103 from the marker at 40000 and reads them with their scale factors", () => {
    const slave = new ModbusSlave({ id: 126 });
    const common = { manufacturer: "Minigrid Test Inverters", model: "MG-3P-10K", options: "", version: "1.2.3", serial: "SN0042", device_address: 126 };
    const inv: Values = {
      ac_A: 14.52, ac_a_A: 4.84, ac_b_A: 4.85, ac_c_A: 4.83, ac_ab_V: 400.1, ac_bc_V: 399.8, ac_ca_V: 400.4, ac_an_V: 231,
      ac_bn_V: 230.8, ac_cn_V: 231.2, ac_W: 3350, ac_Hz: 50.02, ac_VA: 3360, ac_var: -120, ac_pf_pct: 99.7, energy_Wh: 12345678,
      dc_A: 8.91, dc_V: 612.3, dc_W: 3456, cabinet_temp_C: 41.5, heatsink_temp_C: 48.2, transformer_temp_C: null,
      other_temp_C: null, state: 4, vendor_state: null, events: 0,
    };
    const where = loadSunSpec(slave, 40000, [
      { id: 1, len: 66, values: common },
      { id: 120, len: 26, values: {} }, // a model this firmware does not read: skipped by its length
      { id: 103, len: 50, values: inv },
    ]);
    expect(where).toEqual([40002, 40070, 40098]);
    const { bus, master } = setup(slave);
    let walk: SunSpecWalk | null = null;
    scanSunSpec(master, 126, (w) => (walk = w));
    bus.runUntil(() => walk !== null);
    const w = walk as unknown as SunSpecWalk;
    expect(w.st).toBe(WALK_DONE);
    expect(w.ids).toEqual([1, 120, 103]);
    expect(w.maps.map((m) => m.n)).toEqual(["SunSpec common", "SunSpec inverter 103"]);
    const c = pollOnce(bus, new ModbusPoller(master, 126, w.maps[0]));
    expect(c.v).toEqual({ ...common, options: "" });
    const map = w.maps[1];
    const got = pollOnce(bus, new ModbusPoller(master, 126, map));
    expect(got.q).toBe(Q_OK);
    const sf = (i: number) => Math.pow(10, slave.holding.get(map.sf![i]) as number >= 0x8000 ? (slave.holding.get(map.sf![i]) as number) - 0x10000 : (slave.holding.get(map.sf![i]) as number));
    expectWithinResolution(map, got.v, inv, (i) => (map.sf && map.sf[i] ? sf(i) : 1));
    expect(got.v.transformer_temp_C).toBeNull(); // int16 0x8000: not implemented, never 0
    expect(got.v.vendor_state).toBeNull(); // uint16 0xFFFF
  });

  it("SunSpec: reads null for an accumulator of 0 and for a not-implemented scale factor", () => {
    const slave = new ModbusSlave({ id: 1 });
    loadSunSpec(slave, 0, [{ id: 101, len: 50, values: { ac_A: 3.5, energy_Wh: 0, ac_W: 800 } }]);
    slave.holding.set(2 + 2 + 13, 0x8000); // W_SF not implemented
    const { bus, master } = setup(slave);
    let walk: SunSpecWalk | null = null;
    scanSunSpec(master, 1, (w) => (walk = w));
    bus.runUntil(() => walk !== null);
    const w = walk as unknown as SunSpecWalk;
    expect(w.ids).toEqual([101]); // marker not at 40000 (exception 02), found at 0
    const got = pollOnce(bus, new ModbusPoller(master, 1, w.maps[0]));
    expect(got.v).toMatchObject({ ac_A: 3.5, energy_Wh: null, ac_W: null, ac_b_A: null });
  });
});

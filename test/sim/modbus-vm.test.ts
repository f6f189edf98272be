// The Modbus master built through the firmware pipeline, running in the virtual Espruino on Serial2 with the
// slave model on the other end: values -> registers -> firmware -> values, a fault and the recovery.
import { beforeAll, describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { epeverLive } from "../../firmware/drivers/maps/epever-tracer";
import { Values } from "../../firmware/drivers/modbus-map";
import { FAIL_AFTER, RETRIES } from "../../firmware/drivers/modbus-reader";
import { fillFromRecord } from "../../sim/devices/modbus-image";
import { ModbusSlave } from "../../sim/devices/modbus-slave";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { bundleFirmwareProgram } from "../helpers/firmware-bundle";

const PROGRAM = `
import { startModbusReader } from "./drivers/modbus-reader";
import { EPEVER_TRACER } from "./drivers/maps/epever-tracer";
Serial2.setup(115200);
var got = {};
var reader = startModbusReader(Serial2, 115200, function (on) { digitalWrite(B6, on); }, 1, EPEVER_TRACER,
  { seconds: function () { return getTime(); } }, function (k, v, q) {
    got[k] = v;
    // battery_W comes last in a poll that reports the battery
    if (k === "battery_W") {
      console.log("POLL " + JSON.stringify({ q: q, v: got, timeout: reader.c[8], failed: reader.c[9] }));
      got = {};
    }
  }, setTimeout, clearTimeout);
setInterval(function () { reader.poll(true); }, 1000);
`;

const VALUES: Values = {
  pv_V: 36.12, pv_A: 4.02, pv_W: 145.2, battery_V: 13.41, battery_charge_A: 10.3, battery_charge_W: 138.12, soc_pct: 77,
  battery_temp_C: -1.25, energy_generated_total_kWh: 876.54, battery_net_A: -2.75, charger_status: 0x0005,
};

// VALUES as the board publishes them (modbus-reader.ts quantity keys): 0x3201 = 5 is float, no fault
const QUANTITIES = {
  pv_V: 36.12, pv_A: 4.02, pv_W: 145.2, battery_V: 13.41, charge_A: 10.3, battery_soc_pct: 77, battery_temp_C: -1.25,
  battery_A: -2.75, battery_W: 13.41 * -2.75, charge_state: 5, charger_fault: 0,
};

describe("Modbus master in the virtual Espruino against the slave model", () => {
  let program = "";
  beforeAll(async () => {
    program = await bundleFirmwareProgram(PROGRAM);
  }, 120_000);

  it("polls every second, holds values while stale, fails, and recovers", async () => {
    const esp = new VirtualEspruino({ board: findBoard("pico")! });
    const slave = new ModbusSlave({ id: 1, delay_ms: 6 });
    fillFromRecord(slave, epeverLive(), VALUES);
    slave.attach(esp.serial("Serial2").line());
    esp.load(program);
    const polls = () => esp.output.filter((l) => l.startsWith("POLL ")).map((l) => JSON.parse(l.slice(5)));

    await esp.runFor(1500);
    expect(esp.uncaught).toEqual([]);
    expect(polls().length).toBe(1);
    expect(polls()[0].q).toBe("o");
    expect(polls()[0].v).toMatchObject(QUANTITIES);
    expect(polls()[0].v.load_W).toBe(0); // registers present and zero: a real 0, not a missing value

    slave.setFault("unplugged");
    await esp.runFor(3450); // polls at 2, 3 and 4 s, each about 0.92 s of timeouts
    const faulty = polls().slice(1);
    expect(faulty.map((p) => p.q)).toEqual(["s", "s", "f"]);
    expect(faulty[0].v.battery_V).toBe(13.41);
    expect(faulty[2].v.battery_V).toBeNull();
    expect(faulty[2]).toMatchObject({ timeout: FAIL_AFTER * (RETRIES + 1), failed: FAIL_AFTER });

    slave.setFault("none");
    await esp.runFor(1000);
    const back = polls().at(-1);
    expect(back.q).toBe("o");
    expect(back.v).toMatchObject(QUANTITIES);
    expect(esp.uncaught).toEqual([]);
    expect(slave.stats.requests).toBeGreaterThan(7);
  });
});

// Every driver inside the built bundle in the virtual Espruino, against device models that speak the real
// protocols: the values in the published batches match the site model within each sensor's resolution.
import { describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { freePort } from "../helpers/mosquitto";
import { startRecordingBroker } from "../helpers/recording-broker";
import { checkBirth } from "../../firmware/protocol/validate";

describe("all drivers on, in the built bundle", () => {
  it("VE.Direct, Modbus (EPEver), INA226 feeders and CT clamps report values that match the site", async () => {
    const batches: any[] = [];
    let birth: unknown;
    const port = await freePort();
    const broker = await startRecordingBroker(port, (_n, b) => batches.push(b), (topic, payload) => {
      if (topic.endsWith("/birth")) birth = JSON.parse(payload);
    });
    const startUnix = Date.UTC(2026, 5, 1, 12) / 1000; // noon: PV producing
    const model = syntheticSite();
    const site = new VirtualSite({ board: findBoard("pico")!, site: "s", node: "n", broker: { host: "127.0.0.1", port }, model, startUnix, report_s: 30 });
    site.powerOn();
    await site.esp.runFor(5 * 60_000);
    await broker.close();

    expect(site.esp.uncaught).toEqual([]);
    const b = checkBirth(birth);
    expect(b.ok).toBe(true);
    const ch = b.ok ? b.value.ch : [];
    // the queue's state and flash wear: [records, page files in use, page files created this boot, torn at boot]
    const qs = (birth as { qs?: unknown }).qs as number[];
    expect(qs).toHaveLength(4);
    for (const n of qs) expect(Number.isInteger(n) && n >= 0).toBe(true);
    expect(qs[1]).toBeLessThanOrEqual((birth as { qcap: number }).qcap);
    expect(batches.length).toBeGreaterThanOrEqual(8);
    const batch = batches.find((x) => x.s === 4)!; // t = 120..150 s: every sensor has been read
    const s = model(startUnix + 135);
    const col = (key: string) => ch.findIndex((c) => c[1] === key && c[2] === "mean");
    for (const [key, expected, tol] of [
      ["battery_V", s.battery_V, 0.05], // VE.Direct battery monitor, mV resolution
      ["pv_W", s.pv_W, 0.03 * s.pv_W + 1], // EPEver over Modbus RTU, 0.01 W registers
      ["feeder1_A", s.feeders[0].current_A, 0.01], // INA226, 40 A / 2^15 per LSB
      ["feeder3_V", s.feeders[2].bus_V, 0.01], // INA226 bus, 1.25 mV per LSB
      ["ct2_A", model(startUnix).ct_A[1], 0.2], // CT clamp, RMS over whole cycles
    ] as [string, number, number][]) {
      const j = col(key);
      expect(j, key).toBeGreaterThanOrEqual(0);
      const value = batch.r[0][j] / 10 ** ch[j][3];
      expect(batch.q[0][j], key).toBe("o");
      expect(Math.abs(value - expected), `${key}: ${value} vs ${expected}`).toBeLessThan(tol);
    }
    // the EPEver's charger status (0x3201 D3-2) in VE.Direct's CS vocabulary: 3 bulk, 5 float
    const cs = ch.findIndex((c) => c[1] === "charge_state");
    expect(batch.r[0][cs]).toBe(s.stage === "float" ? 5 : 3);
  }, 300_000);
});

// A battery monitor whose blocks pass VE.Direct's checksum but carry a state of charge of 14,932 % (the mod-256 sum
// lets about one damaged block in 256 through), against the built bundle in the virtual Espruino: the node
// publishes the SOC of those intervals as missing (null, never 0) with quality "f", keeps every other channel, counts
// the readings it refused in reading.implausible events, and reports the SOC again once the monitor is right.
import { describe, expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { VirtualSite } from "../../sim/site/virtual-site";
import { syntheticSite } from "../../sim/site/synthetic-site";
import { freePort } from "../helpers/mosquitto";
import { startRecordingBroker } from "../helpers/recording-broker";
import { checkBatch, checkBirth, checkEvent } from "../../firmware/protocol/validate";

describe("an implausible reading in a block that passed its checksum", () => {
  it("is published as missing with quality f, the other channels untouched, and counted in events", async () => {
    const batches: any[] = [];
    const events: any[] = [];
    let birth: unknown;
    const port = await freePort();
    const broker = await startRecordingBroker(port, (_n, b) => batches.push(b), (topic, payload) => {
      if (topic.endsWith("/birth")) birth = JSON.parse(payload);
      if (topic.endsWith("/evt")) events.push(JSON.parse(payload));
    });
    const startUnix = Date.UTC(2026, 5, 1, 12) / 1000;
    // from 55 s to 155 s of virtual time, every block the monitor sends says SOC 14,932 % (checksum valid)
    const wrong = (u: number) => u >= startUnix + 55 && u < startUnix + 155;
    let blocksWrong = 0;
    const site = new VirtualSite({
      board: findBoard("pico")!, site: "s", node: "n", broker: { host: "127.0.0.1", port }, model: syntheticSite(), startUnix,
      report_s: 30, withCt: false,
      bmvValues: (v, u) => {
        if (!wrong(u)) return v;
        blocksWrong++;
        return { ...v, soc_permille: 149320 };
      },
    });
    site.powerOn();
    await site.esp.runFor(4 * 60_000);
    await broker.close();

    expect(site.esp.uncaught).toEqual([]);
    expect(blocksWrong).toBeGreaterThan(20);
    expect(site.bmv.stats.corruptedBytes).toBe(0); // every block as the device meant it, checksum included
    const b = checkBirth(birth);
    expect(b.ok).toBe(true);
    const ch = b.ok ? b.value.ch : [];
    const soc = ch.findIndex((c) => c[1] === "battery_soc_pct");
    const volts = ch.findIndex((c) => c[1] === "battery_V" && c[2] === "mean");
    expect(soc).toBeGreaterThanOrEqual(0);

    // each row with its time span (uptime of this boot: virtual time, within a few seconds)
    const rows: { from: number; v: number | null; q: string; V: number | null; qV: string }[] = [];
    for (const x of batches) {
      expect(checkBatch(x, ch.length).ok).toBe(true);
      x.r.forEach((r: (number | null)[], k: number) =>
        rows.push({ from: x.t + k * x.i, v: r[soc], q: x.q[k][soc], V: r[volts], qV: x.q[k][volts] }));
    }
    // rows of 30 s from uptime 0: those within the wrong blocks, those with some of each, those with none
    const inside = rows.filter((r) => r.from >= 58 && r.from + 30 <= 152);
    const mixed = rows.filter((r) => r.from + 30 > 55 && r.from < 55 + 2);
    const good = rows.filter((r) => r.from + 30 <= 53 || r.from >= 157);
    expect(inside.map((r) => r.from)).toEqual([60, 90, 120]);
    expect(mixed).toHaveLength(1);
    expect(good.length).toBeGreaterThanOrEqual(3);
    for (const r of inside) {
      expect(r.v).toBeNull(); // missing, never 0 nor 149,320
      expect(r.q).toBe("f");
      expect(r.V).not.toBeNull(); // the rest of each block was good
      expect(r.qV).toBe("o");
    }
    // an interval with good readings before the wrong ones keeps the last good one, marked failed for the interval
    expect(mixed[0].v! / 10).toBeLessThanOrEqual(100);
    expect(mixed[0].q).toBe("f");
    for (const r of good) {
      expect(r.q).toBe("o");
      expect(r.v! / 10).toBeGreaterThan(0);
      expect(r.v! / 10).toBeLessThanOrEqual(100);
    }

    // counted: reading.implausible events when the count reaches 1, 2, 4 ...; a BMV sends its live block (with the
    // SOC) every other second, its history block in between
    const counts = events.filter((e) => e.e === "reading.implausible").map((e) => {
      expect(checkEvent(e).ok).toBe(true);
      return e.d.n as number;
    });
    expect(counts.length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k < counts.length; k++) expect(counts[k]).toBeGreaterThanOrEqual(2 * counts[k - 1]);
    expect(counts[0]).toBeGreaterThanOrEqual(1);
    expect(counts[counts.length - 1]).toBeLessThanOrEqual(blocksWrong);
    expect(counts[counts.length - 1] * 2).toBeGreaterThan(blocksWrong / 2);
  }, 300_000);
});

import { describe, expect, it } from "vitest";
import { createSampler, Sampler } from "../../firmware/app/sampler";
import { batteryTable, energyTable, chargerTable, channelDefs } from "../../firmware/protocol/channels";

/** The channels of a table string with these ids, as a table string. */
const pick = (table: string, ids: number[]) =>
  channelDefs(table)
    .filter((d) => ids.includes(d.id))
    .map((d) => `${d.id} ${d.key} ${d.agg} ${d.scale}`)
    .join(" ");
/** The sampler as the tests read it: a row's values parsed from the JSON text the batch carries. */
const sampler = (o: { channels: string; maxGapS: number; energyWh?: { [k: string]: number } }) => {
  const s = createSampler(o.channels, o.maxGapS, o.energyWh || {});
  return { add: s.add, energy: s.energy, row: () => rowOf(s) };
};
const rowOf = (s: Sampler) => {
  const [r, q] = s.row();
  return { r: JSON.parse(r) as (number | null)[], q };
};

describe("sampler: aggregation over a report interval", () => {
  it("mean, min, max and last in channel order, scaled to integers", () => {
    const s = sampler({ channels: pick(batteryTable, [1, 2, 3, 6]), maxGapS: 10 });
    [12.5, 12.7, 12.3, 12.9].forEach((v, k) => s.add("battery_V", v, "o", k));
    s.add("battery_soc_pct", 81.2, "o", 1);
    s.add("battery_soc_pct", 80.9, "o", 3);
    expect(s.row()).toEqual({ r: [12600, 12300, 12900, 809], q: "oooo" });
  });

  it("an interval with no sample: null, never 0; stale when the sensor is not failed, failed when it is", () => {
    const s = sampler({ channels: pick(batteryTable, [1, 6]), maxGapS: 10 });
    s.add("battery_V", 12.4, "o", 0);
    s.add("battery_soc_pct", 75, "o", 0);
    s.row();
    expect(s.row()).toEqual({ r: [null, 750], q: "ss" });
    s.add("battery_V", null, "f", 70);
    s.add("battery_soc_pct", null, "f", 70);
    expect(s.row()).toEqual({ r: [null, null], q: "ff" });
    s.add("battery_V", 12.1, "o", 130);
    expect(s.row().q).toBe("of"); // the SOC reading is still failed until a good one comes
  });

  it("the worst quality of the interval is reported", () => {
    const s = sampler({ channels: pick(batteryTable, [1]), maxGapS: 10 });
    s.add("battery_V", 12, "o", 0);
    s.add("battery_V", 12, "s", 1);
    expect(s.row().q).toBe("s");
    s.add("battery_V", 12, "o", 2);
    expect(s.row().q).toBe("o");
  });
});

describe("sampler: energy counters", () => {
  const channels = [pick(chargerTable, [22]), pick(batteryTable, [5]), energyTable].join(" ");

  it("integrates power exactly: 100 W for an hour is 100 Wh; battery charge and discharge counted apart", () => {
    const s = sampler({ channels, maxGapS: 10 });
    for (let t = 0; t <= 3600; t++) {
      s.add("pv_W", 100, "o", t);
      s.add("battery_W", t < 1800 ? 200 : -50, "o", t);
    }
    s.row();
    const e = s.energy();
    expect(e.pv_Wh).toBeCloseTo(100, 9);
    // the one-second step from +200 to -50 W splits by the trapezoid rule
    expect(e.battery_charge_Wh).toBeCloseTo((1799 * 200 + 100) / 3600, 9);
    expect(e.battery_discharge_Wh).toBeCloseTo((1800 * 50 + 25) / 3600, 9);
  });

  it("counters are monotonic and start from the totals kept in flash", () => {
    const s = sampler({ channels, maxGapS: 10, energyWh: { pv_Wh: 1000 } });
    s.add("pv_W", 360, "o", 0);
    s.add("pv_W", 360, "o", 10);
    const { r, q } = s.row();
    const pvWhIndex = channelDefs(channels).findIndex((c) => c.key === "pv_Wh");
    expect(r[pvWhIndex]).toBe(10010); // 1001.0 Wh at scale 1
    expect(q[pvWhIndex]).toBe("o");
  });

  it("a gap longer than maxGapS is not extrapolated: the counter holds and is marked estimated", () => {
    const s = sampler({ channels, maxGapS: 10 });
    s.add("pv_W", 500, "o", 0);
    s.add("pv_W", 500, "o", 600);
    const { q } = s.row();
    expect(s.energy().pv_Wh).toBe(0);
    expect(q[channelDefs(channels).findIndex((c) => c.key === "pv_Wh")]).toBe("e");
  });
});

describe("sampler: the row's JSON text", () => {
  it("a value that is not finite goes out as null, as JSON.stringify writes it", () => {
    // (a quantity without plausible bounds: one with bounds refuses it as implausible, failed)
    const s = sampler({ channels: "50 feeder1_V mean 3 5 battery_W mean 1 1 battery_V mean 3", maxGapS: 10 });
    s.add("feeder1_V", Infinity, "o", 0);
    s.add("battery_W", 10, "o", 0);
    s.add("battery_V", Infinity, "o", 0);
    expect(s.row()).toEqual({ r: [null, 100, null], q: "oof" });
  });
});

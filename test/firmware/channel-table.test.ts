import { describe, expect, it } from "vitest";
import { channelTable } from "../../firmware/app/channel-table";
import { withDefaults } from "../../firmware/app/node-settings";
import { channelDefs } from "../../firmware/protocol/channels";

const ids = (settings: object) => channelDefs(channelTable(withDefaults(settings))).map((c) => c.id);

describe("channel table from the settings", () => {
  it("a battery monitor alone: battery channels, and only the energy counters whose power is measured", () => {
    expect(ids({ vedirect: [{ kind: "bmv" }] })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 101, 102]);
  });

  it("feeders and CTs numbered from 1, ids stepping 4 and 2 per feeder, counters by 1; switched-off ids left out", () => {
    const defs = channelDefs(channelTable(withDefaults({ feeders: [{}, {}], ct: [{}], off: [55] })));
    expect(defs.map((c) => c.id)).toEqual([50, 51, 52, 53, 110, 54, 56, 57, 111, 90, 91, 120]);
    expect(defs.find((c) => c.id === 111)).toEqual({ id: 111, key: "feeder2_Wh", agg: "counter", scale: 1 });
    expect(defs.find((c) => c.id === 91)).toEqual({ id: 91, key: "ct1_W", agg: "mean", scale: 0 });
  });

  it("a Growatt inverter-charger over Modbus: battery, charger and inverter channels", () => {
    expect(ids({ modbus: { map: "growatt", slave: 1, period_s: 5 } })).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 23, 24, 25, 26, 30, 31, 32, 40, 41, 42, 43, 44, 100, 101, 102, 103,
    ]);
  });
});

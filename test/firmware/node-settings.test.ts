// The node's own light check of a cfg (applyConfig): the same keys the gateway's full check accepts
// (cli/settings/schema.ts nodeConfigSchema), identity and unknown keys refused by name, nothing applied on a refusal.
import { describe, expect, it } from "vitest";
import { applyConfig, NodeSettings, withDefaults } from "../../firmware/app/node-settings";
import { checkNodeConfig } from "../../cli/settings/check";
import { nodeConfigSchema } from "../../cli/settings/schema";
import { findBoard } from "../../firmware/boards/index";

/** One valid value of every remote setting, on a pico. */
const everything: { [k: string]: any } = {
  net: { kind: "eth", ip: "192.168.4.20", gw: "192.168.4.1", mask: "255.255.255.0" },
  broker: { host: "192.168.4.1", port: 1884, user: "u", pass: "p" },
  report_s: 30, sample_s: 2, rows: 4,
  vedirect: [{ kind: "mppt" }],
  modbus: { map: "growatt", slave: 2, period_s: 10 },
  feeders: [{ addr: 65, shunt_ohm: 0.001, max_A: 80 }],
  ct: [{ pin: "A6", ical: 30, V: 230 }],
  off: [22],
};

function fresh(): NodeSettings {
  return withDefaults({ site: "s1", node: "n1", net: { kind: "eth" }, broker: { host: "10.0.0.1" } });
}

describe("applyConfig", () => {
  it("takes every setting the gateway's check takes, and no other", () => {
    expect(Object.keys(everything).sort()).toEqual(Object.keys(nodeConfigSchema.properties).sort());
    expect(checkNodeConfig(everything, findBoard("pico"))).toEqual({ ok: true, value: everything });
    const s = fresh();
    expect(applyConfig(s, JSON.parse(JSON.stringify(everything)))).toBeUndefined();
    expect(s).toMatchObject({ site: "s1", node: "n1", ...everything });
  });

  it("modbus: null turns Modbus off, as the next boot reads it", () => {
    const s = withDefaults({ modbus: { map: "epever", slave: 1 } });
    expect(applyConfig(s, { modbus: null })).toBeUndefined();
    expect(withDefaults(JSON.parse(JSON.stringify(s))).modbus).toBeUndefined();
  });

  it("refuses identity and unknown keys by name, and applies nothing of a refused cfg", () => {
    const s = fresh();
    const before = JSON.stringify(s);
    expect(applyConfig(s, { report_s: 30, site: "other" })).toBe("site is the node's identity");
    expect(applyConfig(s, { node: "other" })).toBe("node is the node's identity");
    expect(applyConfig(s, { report_s: 30, interval_s: 30 })).toBe("unknown setting interval_s");
    expect(applyConfig(s, { selfTest: true })).toBe("unknown setting selfTest");
    expect(JSON.stringify(s)).toBe(before);
  });

  it("a light check of each value", () => {
    const s = fresh();
    expect(applyConfig(s, { report_s: -5 })).toBe("report_s must be 1..86400");
    expect(applyConfig(s, { rows: "4" })).toBe("rows must be 1..86400");
    expect(applyConfig(s, { sample_s: 86401 })).toBe("sample_s must be 1..86400");
    for (const k of ["off", "vedirect", "feeders", "ct"]) expect(applyConfig(s, { [k]: {} })).toBe(k + " must be a list");
    expect(applyConfig(s, { broker: { port: 1884 } })).toBe("broker.host missing");
    expect(applyConfig(s, { broker: null })).toBe("broker.host missing");
    expect(applyConfig(s, { net: { ssid: "x" } })).toBe("net.kind missing");
    expect(applyConfig(s, { net: "eth" })).toBe("net.kind missing");
    expect(applyConfig(s, { modbus: { slave: 1 } })).toBe("modbus.map missing");
  });
});

// Fault scripts (sim/faults/script.ts): the link faults per kind of network, and the mistakes a script can make,
// each refused with the entry's key and what to write instead.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expandFaults, loadFaultFile } from "../../sim/faults/script";

const H = 3600_000;

describe("link faults in a fault script", () => {
  it("each kind becomes a window on the site's network", () => {
    const f = expandFaults(
      [
        { kind: "wifi-lost", at: "1h", for: "10m", every: "6h" },
        { kind: "wifi-wrong-password", at: "2h", for: "20m" },
        { kind: "dhcp-slow", at: "3h", for: "1h", delay: "20s" },
        { kind: "dhcp-none", at: "5h", for: "15m", node: "n2" },
        { kind: "cable-out", at: "9h", for: "5m" },
      ],
      12 * H,
    );
    const link = f.map((x) => ({ min: x.atMs / 60_000, ...x.action, nodes: x.nodes }));
    expect(link).toEqual([
      { min: 60, what: "link", change: "ap", on: true, nodes: undefined },
      { min: 70, what: "link", change: "ap", on: false, nodes: undefined },
      { min: 120, what: "link", change: "password", on: true, nodes: undefined },
      { min: 140, what: "link", change: "password", on: false, nodes: undefined },
      { min: 180, what: "link", change: "dhcp-slow", on: true, delay_s: 20, nodes: undefined },
      { min: 240, what: "link", change: "dhcp-slow", on: false, nodes: undefined },
      { min: 300, what: "link", change: "dhcp-none", on: true, nodes: ["n2"] },
      { min: 315, what: "link", change: "dhcp-none", on: false, nodes: ["n2"] },
      { min: 420, what: "link", change: "ap", on: true, nodes: undefined },
      { min: 430, what: "link", change: "ap", on: false, nodes: undefined },
      { min: 540, what: "link", change: "cable", on: true, nodes: undefined },
      { min: 545, what: "link", change: "cable", on: false, nodes: undefined },
    ]);
  });

  it("an unknown kind, a misspelt key or a missing delay is an error naming the key and the fix", () => {
    expect(() => expandFaults([{ kind: "wifi-gone", at: "1h", for: "5m" }], H)).toThrow(/^faults\[0\]\.kind: one of .*wifi-lost.*cable-out \(got "wifi-gone"\)$/);
    expect(() => expandFaults([{ kind: "cable-out", at: "1h", fro: "5m" }], H)).toThrow("faults[0].fro: not a key of cable-out; use at, for, every, to, node");
    expect(() => expandFaults([{ kind: "power-cut", at: "1h" }, { kind: "dhcp-slow", at: "1h", for: "5m", dealy: "9s" }], H)).toThrow(/^faults\[1\]\.dealy: not a key of dhcp-slow; use .*delay/);
    expect(() => expandFaults([{ kind: "dhcp-slow", at: "1h", for: "5m" }], H)).toThrow(/^faults\[0\]\.delay: a duration/);
    expect(() => expandFaults([{ kind: "wifi-lost", at: "1h" }], H)).toThrow(/^faults\[0\]\.for: a duration/);
    expect(() => expandFaults(["wifi-lost"], H)).toThrow(/^faults\[0\]: an object/);
  });

  it("a misspelt key is refused with the key the kind takes that was meant", () => {
    const err = (script: unknown) => {
      try {
        expandFaults(script, H);
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(err([{ kind: "power-cut", at: "1h", inwrite: 120 }])).toBe("faults[0].inwrite: not a key of power-cut; use at, inWrite, random, from, to, inWriteEvery, seed, node, kind (did you mean inWrite?)");
    expect(err([{ kind: "dhcp-slow", at: "1h", for: "5m", delya: "9s" }])).toMatch(/^faults\[0\]\.delya: not a key of dhcp-slow; use .* \(did you mean delay\?\)$/);
    // nothing near: the keys alone
    expect(err([{ kind: "gateway-down", at: "1h", for: "5m", because: "maintenance" }])).toBe("faults[0].because: not a key of gateway-down; use at, for, every, to, node, kind");
  });

  it("a value of the wrong type is refused with its fix, and every problem of the script is listed at once", () => {
    let message = "";
    try {
      expandFaults({ faults: [{ kind: "power-cut", random: "ten" }, { kind: "wifi-down", at: "1h", for: "5m" }, { kind: "unplug", sensor: 3, at: "1h", for: "1m", nodes: "n1" }] }, H);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split("\n")).toEqual([
      "faults[0].random: must be how many cuts to make at random instants, >= 1",
      "faults[2].nodes: not a key of unplug; use at, for, every, to, sensor, node, kind (did you mean node?)",
      "faults[2].sensor: must be \"vedirect\", \"modbus\" or \"ina\"",
    ]);
  });

  it("a script file's problems are reported under the file's name", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mg-faults-")), "day.yaml");
    writeFileSync(file, "faults:\n  - kind: wifi-lost\n    at: 3h\n    For: 10m\n  - kind: clock-jump\n    at: 5h\n    by: -1d\n    node: [n1, 2]\n");
    expect(() => loadFaultFile(file, 24 * H)).toThrow(
      `${file}: 2 problems:\n  faults[0].For: not a key of wifi-lost; use at, for, every, to, node, kind (did you mean for?)\n  faults[1].node[1]: must be a node id ("n1", or "site/node") or a list of them`,
    );
  });
});

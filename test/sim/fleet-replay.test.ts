// A fleet of three sites with different seeds and time shifts, in two worker threads, against one embedded gateway,
// with a Wi-Fi drop on one node only and an outage of the gateway: every node's batches are stored once.
import { describe, expect, it } from "vitest";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { runReplay } from "../../sim/fleet/replay";
import { fleetSpecs } from "../../sim/fleet/sites";
import { StoreLedger } from "../../sim/site/store-ledger";
import { expandFaults } from "../../sim/faults/script";

const trace = new URL("../fixtures/real/traces/serf_east_1min_ac_power.csv", import.meta.url).pathname;

describe("fleet", () => {
  it("three sites in two worker threads against one gateway: nothing lost, nothing stored twice", async () => {
    const ledger = new StoreLedger();
    const gateway = await EmbeddedGateway.start({ onStored: (n) => ledger.onAcknowledged(n) });
    const specs = fleetSpecs({ name: "village", array_kWp: 1.5, utcOffset_h: -7, battery: { kWh: 3, chemistry: "lifepo4" }, trace }, { sites: 3, seed: 5, shift_h: 2 });
    expect(specs.map((s) => s.site)).toEqual(["village-1", "village-2", "village-3"]);
    expect(specs.map((s) => s.shift_s)).toEqual([0, 7200, 14400]);
    const faults = expandFaults([{ kind: "wifi-down", node: "village-2/n1", at: "20m", for: "15m" }, { kind: "gateway-down", at: "1h", for: "20m" }], 2 * 3600_000);
    const r = await runReplay({ specs, untilMs: 2 * 3600_000, drainMs: 30 * 60_000, gateway, ledger, faults, workers: 2 });
    await gateway.down();
    const rows = ledger.rows(gateway.dbPath);
    expect(rows.map((x) => x.node)).toEqual(["village-1/n1", "village-2/n1", "village-3/n1"]);
    for (const row of rows) {
      expect(row.produced).toBeGreaterThan(100);
      expect(row.lost).toBe(0);
      expect(row.duplicated).toBe(0);
      expect(row.stored).toBe(row.acknowledged);
    }
    expect(r.virtualMs).toBe(2.5 * 3600_000);
    // the boards' own CPU, from their worker threads (Linux tells each thread's): some, and less than the process's
    if (process.platform === "linux") {
      expect(r.workersCpu!.cpu_s).toBeGreaterThan(0.2);
      const u = process.cpuUsage();
      expect(r.workersCpu!.cpu_s).toBeLessThan((u.user + u.system) / 1e6);
    }
  }, 300_000);

  it("against a gateway not its own (only its broker's address) the ledger counts the PUBACKs the nodes received", async () => {
    const gateway = await EmbeddedGateway.start();
    try {
      const specs = fleetSpecs({ name: "ext", array_kWp: 1.5, battery: { kWh: 3, chemistry: "lifepo4" }, trace }, { sites: 2, seed: 3 });
      for (const workers of [0, 1]) {
        const ledger = new StoreLedger();
        const r = await runReplay({ specs: specs.map((s) => ({ ...s, bootsBefore: workers * 10 })), untilMs: 3600_000, drainMs: 10 * 60_000, broker: gateway.broker, ledger, workers });
        // only boards in worker threads have CPU of their own to tell
        if (process.platform === "linux") expect(r.workersCpu === undefined).toBe(workers === 0);
        const rows = ledger.rows(gateway.dbPath).filter((r) => r.produced > 0);
        expect(rows).toHaveLength(2);
        for (const row of rows) {
          expect(row.produced).toBeGreaterThan(20);
          // every batch that left the flash had its PUBACK; what is still in flash had none
          expect(row.acknowledged).toBe(row.produced - row.queued);
        }
      }
    } finally {
      await gateway.close();
    }
  }, 300_000);

  it("fault scripts: windows, repeats, random cuts, and a clear error for a mistake", () => {
    const f = expandFaults({ faults: [{ kind: "wifi-down", at: "20m", for: "5m", every: "1h", to: "3h" }, { kind: "power-cut", random: 9, inWriteEvery: 3, seed: 2, from: "1h", to: "2h" }, { kind: "clock-jump", at: "1h30m", by: "-1d" }] }, 4 * 3600_000);
    expect(f.filter((x) => x.action.what === "wifi-down").map((x) => x.atMs / 60_000)).toEqual([20, 80, 140]);
    const cuts = f.filter((x) => x.action.what === "power-cut");
    expect(cuts).toHaveLength(9);
    expect(cuts.filter((x) => x.action.what === "power-cut" && x.action.inWrite)).toHaveLength(3);
    for (const c of cuts) expect(c.atMs).toBeGreaterThanOrEqual(3600_000);
    expect(f.find((x) => x.action.what === "clock-jump")!.action).toEqual({ what: "clock-jump", by_s: -86400 });
    expect(() => expandFaults([{ kind: "brownout", at: "1h" }], 1e7)).toThrow(/faults\[0\]\.kind/);
    expect(() => expandFaults([{ kind: "wifi-down", at: "soon", for: "5m" }], 1e7)).toThrow(/faults\[0\]\.at/);
  });
});

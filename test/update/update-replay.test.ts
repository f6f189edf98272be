// A fleet update in a replay: four ESP32 sites (their own firmware booted through the boot loader, fed by the site
// model) against the embedded gateway, updated by the gateway's own rollout code on the replay's virtual time while
// the fault script cuts a node's link and another's power in the middle of the update. Every node ends on the new
// version and the ledger has every batch stored once; an image that keeps restarting is rolled back on the first
// wave's nodes and the rollout stops there, the later waves left on the firmware they run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runSimReplay } from "../../cli/commands/sim-replay";
import { firmwareOutDir } from "../../contracts/paths";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { runReplay, type ReplayUpdate } from "../../sim/fleet/replay";
import { fleetSpecs } from "../../sim/fleet/sites";
import { StoreLedger } from "../../sim/site/store-ledger";
import { expandFaults } from "../../sim/faults/script";
import { compareVersions } from "../../gateway/updates/image";

const trace = new URL("../fixtures/real/traces/serf_east_1min_ac_power.csv", import.meta.url).pathname;
const built = () => readFileSync(join(firmwareOutDir, "esp32.js"), "latin1");
/** The same firmware as another version: its header and the version it reports in its birth. */
const asVersion = (v: string) => {
  const text = built();
  const was = /^\/\*minigrid esp32 (\S+)\*\//.exec(text)![1];
  expect(compareVersions(v, was)).toBe(1);
  return text.split(was).join(v);
};
/** An image that restarts a few seconds after every boot: it never reaches its broker. */
const restarting = "/*minigrid esp32 9.0.0*/\n" + "setTimeout(function(){E.reboot();},5000);" + "/*" + "x".repeat(3000) + "*/";

async function replayWithUpdate(update: ReplayUpdate, faults: object[], untilMs: number) {
  const ledger = new StoreLedger();
  const gateway = await EmbeddedGateway.start({ commands: true, onStored: (n) => ledger.onAcknowledged(n) });
  try {
    const specs = fleetSpecs({ name: "ota", board: "esp32", array_kWp: 1.5, battery: { kWh: 3, chemistry: "lifepo4" }, trace }, { sites: 4, seed: 11, shift_h: 1 }).map((s) => ({ ...s, updatable: true }));
    const r = await runReplay({ specs, untilMs, drainMs: 20 * 60_000, gateway, ledger, faults: expandFaults(faults, untilMs), update });
    await gateway.down();
    return { r, rows: ledger.rows(gateway.dbPath) };
  } finally {
    await gateway.close();
  }
}

describe("a fleet update in a replay", () => {
  it("updates every node in waves through a lost link and power cuts, and loses no telemetry", async () => {
    const t0 = Date.now();
    const { r, rows } = await replayWithUpdate({ atMs: 30 * 60_000, image: asVersion("0.2.0"), waveShare: 0.5, maxFailureShare: 0 }, [
      // wave 1 (ota-1, ota-2; an update alone takes some 20 s): a power cut while staging, the link gone for 4
      // minutes while staging
      { kind: "power-cut", node: "ota-1/n1", at: "30m08s" },
      { kind: "wifi-down", node: "ota-2/n1", at: "30m05s", for: "4m" },
      // wave 2 (ota-3, ota-4, from about 34 min 45 s): a cut inside a flash write, the link gone for 90 s
      { kind: "power-cut", node: "ota-3/n1", at: "34m55s", inWrite: 200 },
      { kind: "wifi-down", node: "ota-4/n1", at: "34m52s", for: "90s" },
    ], 3 * 3600_000);
    const u = r.update!;
    console.log(`fleet update of 4 ESP32 sites: ${u.virtual_s} s virtual, ${u.real_s} s real (replay ${((Date.now() - t0) / 1000).toFixed(1)} s); ${JSON.stringify(u.nodes)}`);
    expect(u.rollout?.state, JSON.stringify(u)).toBe("done");
    expect(u).toMatchObject({ version: "0.2.0", updated: 4, rolledBack: 0, failed: 0, refused: 0, notReached: 0 });
    expect(u.rollout!.waves).toEqual([["ota-1/n1", "ota-2/n1"], ["ota-3/n1", "ota-4/n1"]]);
    // the faults struck the first wave mid-update: each of its updates was taken up again where the node stood
    const of = (site: string) => u.nodes.find((n) => n.site === site)!;
    expect(of("ota-1").begins).toBeGreaterThan(1);
    expect(of("ota-2").begins).toBeGreaterThan(1);
    for (const n of u.nodes) expect(n, n.site).toMatchObject({ state: "updated", have: n.bytes });
    // the two power cuts and the four updates' own restarts
    expect(r.resets).toBeGreaterThanOrEqual(4 + 2);
    for (const row of rows) {
      expect(row.produced, row.node).toBeGreaterThan(100);
      expect(row.lost, row.node).toBe(0);
      expect(row.duplicated, row.node).toBe(0);
      expect(row.queued, row.node).toBe(0);
      expect(row.stored, row.node).toBe(row.acknowledged);
    }
  }, 600_000);

  it("minigrid sim replay --update: an image that keeps restarting is rolled back and the rollout stops after the first wave", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-replay-update-"));
    const site = join(dir, "site.json");
    writeFileSync(site, JSON.stringify({ name: "ota", board: "esp32", array_kWp: 1.5, battery: { kWh: 3, chemistry: "lifepo4" }, trace }));
    const image = join(dir, "esp32-9.0.0.js");
    writeFileSync(image, restarting);
    const faults = join(dir, "faults.json");
    writeFileSync(faults, JSON.stringify([{ kind: "wifi-down", node: "ota-1/n1", at: "20m10s", for: "2m" }]));
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, "log").mockImplementation((x: string) => void out.push(x));
    vi.spyOn(console, "error").mockImplementation((x: string) => void err.push(x));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let status: number;
    try {
      const values = { site, sites: "4", seed: "11", shift: "1", until: "90m", drain: "20m", faults, update: image, "update-at": "20m", "wave-share": "0.5", json: true };
      status = await runSimReplay(values);
      // a usage error for an update the run cannot make, before anything starts
      await expect(runSimReplay({ ...values, "update-at": "2h" })).rejects.toThrow(/--update-at must come before --until/);
      await expect(runSimReplay({ site, "wave-share": "0.5" })).rejects.toThrow(/--wave-share goes with --update FILE/);
      await expect(runSimReplay({ trace, update: image })).rejects.toThrow(/built for esp32, but the sites are pico/);
    } finally {
      vi.restoreAllMocks();
    }
    // status 1: not every node was updated
    expect(status, err.join("\n")).toBe(1);
    expect(err.join("\n")).toMatch(/the fleet update did not update every node \(wave 1: 2 of 2 nodes not updated, over the 0 % allowed\)/);
    const j = JSON.parse(out.join("\n"));
    const u = j.update;
    expect(u.rollout.state, JSON.stringify(u)).toBe("stopped");
    expect(u).toMatchObject({ version: "9.0.0", updated: 0, rolledBack: 2, failed: 0, notReached: 2 });
    expect(u.rollout.outcome["ota-1/n1"]).toEqual({ state: "rolled-back", why: "restarts" });
    expect(u.rollout.outcome["ota-2/n1"]).toEqual({ state: "rolled-back", why: "restarts" });
    expect(u.rollout.outcome["ota-3/n1"]).toBeUndefined();
    console.log(`a restarting image rolled back on the first wave: ${u.virtual_s} s virtual, ${u.real_s} s real`);
    // the rolled-back nodes run their old image again, and no telemetry was lost
    expect(j.ledger).toHaveLength(4);
    for (const row of j.ledger) {
      expect(row.produced, row.node).toBeGreaterThan(50);
      expect(row.lost, row.node).toBe(0);
      expect(row.duplicated, row.node).toBe(0);
      expect(row.stored, row.node).toBe(row.acknowledged);
    }
    expect(j.accounted.ok).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});

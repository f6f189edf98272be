// The replay's ledger against the embedded gateway: batches still in a node's flash when the run ends are "queued",
// not "lost"; and a replay is deterministic: one seed, the same ledger and the same stored rows.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { runReplay } from "../../sim/fleet/replay";
import { fleetSpecs } from "../../sim/fleet/sites";
import { formatLedger, StoreLedger } from "../../sim/site/store-ledger";
import { openReadonly } from "../../sim/site/store-read";
import { expandFaults } from "../../sim/faults/script";

type FaultEntry = Record<string, unknown>;

const trace = new URL("../fixtures/real/traces/midc_bms_ghi_20220120.csv", import.meta.url).pathname;

async function replay(untilMs: number, drainMs: number, faults: FaultEntry[]) {
  const ledger = new StoreLedger();
  const gateway = await EmbeddedGateway.start({ onStored: (n) => ledger.onAcknowledged(n) });
  const specs = fleetSpecs({ name: "det", array_kWp: 1.5, battery: { kWh: 3, chemistry: "lifepo4" }, trace }, { sites: 1, seed: 7 });
  await runReplay({ specs, untilMs, drainMs, gateway, ledger, faults: expandFaults(faults, untilMs) });
  await gateway.down();
  const db = openReadonly(gateway.dbPath);
  try {
    const batches = db.prepare("SELECT boot, seq, seq_last, t0, interval_s, rows, historical, merged, time_estimated FROM batches ORDER BY boot, seq").all();
    const samples = db.prepare("SELECT channel_id, ts, value, quality FROM samples ORDER BY channel_id, ts").all();
    return { rows: ledger.rows(gateway.dbPath), batches, samples, text: formatLedger(ledger.rows(gateway.dbPath)) };
  } finally {
    db.close();
    // the temporary folder goes with the database in it
    const dir = gateway.tempDir!;
    expect(existsSync(dir)).toBe(true);
    await gateway.close();
    expect(existsSync(dir)).toBe(false);
  }
}

describe("replay ledger", () => {
  it("counts batches still in a node's flash when the run ends (gateway still down) as queued, not lost", async () => {
    const r = await replay(3600_000, 0, [{ kind: "gateway-down", at: "20m", for: "2h" }]);
    const [row] = r.rows;
    expect(row.queued).toBeGreaterThan(30);
    expect(row.lost).toBe(0);
    expect(row.produced).toBe(row.queued + row.stored - row.duplicated);
    expect(row.alone + row.merged + row.queued + row.lost).toBe(row.produced);
    expect(r.text).toMatch(/still queued in the nodes' flash/);
    expect(r.text).toContain(`every produced batch accounted for: ${row.produced} produced = ${row.alone} stored alone + ${row.merged} inside merged summaries + ${row.queued} still queued + 0 lost`);
  }, 300_000);

  it("accounts for every produced batch on a replay with faults: stored alone, inside a merged summary, queued or lost", async () => {
    // the gateway away for 5 h fills the Pico's flash queue, which merges its oldest batches; power cuts in between
    const r = await replay(7 * 3600_000, 10 * 60_000, [
      { kind: "gateway-down", at: "30m", for: "5h" },
      { kind: "power-cut", random: 6, from: "10m", to: "6h", inWriteEvery: 2, seed: 5 },
      { kind: "wifi-down", at: "6h10m", for: "5m" },
    ]);
    const [row] = r.rows;
    expect(row.merged).toBeGreaterThan(0);
    expect(row.alone).toBeGreaterThan(0);
    expect(row.alone + row.merged + row.queued + row.lost).toBe(row.produced);
    // a merged summary is one stored row for many produced batches
    expect(row.stored).toBeLessThan(row.alone + row.merged);
    const mergedRows = (r.batches as { merged: number; seq: number; seq_last: number }[]).filter((b) => b.merged > 1);
    expect(mergedRows.length).toBeGreaterThan(0);
    expect(row.stored).toBe(row.alone + mergedRows.length - row.duplicated);
    const lines = r.text.split("\n");
    // one line under the table per column
    for (const col of ["produced", "acknowledged", "stored", "alone", "merged", "duplicated", "queued", "lost", "timeBack"])
      expect(lines.some((l) => new RegExp(`^  ${col} +\\S`).test(l))).toBe(true);
    expect(r.text).toContain(`every produced batch accounted for: ${row.produced} produced = ${row.alone} stored alone + ${row.merged} inside merged summaries + ${row.queued} still queued + ${row.lost} lost`);
  }, 300_000);

  it("one seed, the same ledger and the same stored rows, twice", async () => {
    const faults: FaultEntry[] = [
      { kind: "wifi-down", at: "20m", for: "5m", every: "1h", to: "3h" },
      { kind: "gateway-down", at: "1h", for: "40m" },
      { kind: "power-cut", random: 4, from: "10m", to: "2h50m", inWriteEvery: 2, seed: 3 },
    ];
    const a = await replay(3 * 3600_000, 30 * 60_000, faults);
    const b = await replay(3 * 3600_000, 30 * 60_000, faults);
    expect(a.rows[0].lost).toBe(0);
    expect(b.rows).toEqual(a.rows);
    expect(b.batches).toEqual(a.batches);
    expect(b.samples).toEqual(a.samples);
  }, 600_000);
});

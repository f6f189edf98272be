// The replay from the command line, with the pipeline proof's fault script (sim/faults/pipeline-day.yaml: Wi-Fi lost
// 5 minutes every hour, the gateway down for 6 hours, 50 power cuts of which 17 inside flash writes), against the
// embedded gateway: the ledger read back from the gateway's SQLite shows nothing lost and nothing stored twice.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

function replay(args: string[]) {
  const r = spawnSync(process.execPath, ["bin/minigrid.mjs", "sim", "replay", ...args], { cwd: root, encoding: "utf8", timeout: 900_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("minigrid sim replay", () => {
  it("a day of the pipeline's faults against the embedded gateway: zero lost, zero duplicated", () => {
    const r = replay(["--trace", "test/fixtures/real/traces/midc_bms_ghi_20220120.csv", "--until", "24h", "--drain", "1h", "--faults", "sim/faults/pipeline-day.yaml", "--json"]);
    expect(r.err).toContain("virtual");
    const j = JSON.parse(r.out);
    const [row] = j.ledger;
    console.log(JSON.stringify(j));
    expect(r.status).toBe(0);
    expect(j.resets).toBeGreaterThanOrEqual(50);
    expect(row.produced).toBeGreaterThan(1300);
    expect(row.lost).toBe(0);
    expect(row.duplicated).toBe(0);
    expect(row.stored).toBeGreaterThan(0);
    expect(row.acknowledged).toBe(row.stored);
  }, 900_000);

  it("explains its ledger, accounts for every batch, and removes its temporary folder", () => {
    const tmp = mkdtempSync(join(tmpdir(), "mg-replay-tmp-"));
    try {
      const r = spawnSync(process.execPath, ["bin/minigrid.mjs", "sim", "replay", "--trace", "test/fixtures/real/traces/midc_bms_ghi_20220120.csv", "--until", "3h", "--drain", "20m"], {
        cwd: root, encoding: "utf8", timeout: 300_000, env: { ...process.env, TMPDIR: tmp },
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^ {2}alone {2,}produced batches stored in a row of their own$/m);
      expect(r.stdout).toMatch(/^ {2}lost {2,}produced batches stored nowhere and gone from the node's flash$/m);
      const m = /every produced batch accounted for: (\d+) produced = (\d+) stored alone \+ (\d+) inside merged summaries \+ (\d+) still queued \+ (\d+) lost/.exec(r.stdout);
      expect(m).not.toBeNull();
      const [produced, ...parts] = m!.slice(1).map(Number);
      expect(produced).toBeGreaterThan(150);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(produced);
      expect(r.stdout).toContain("database removed (temporary; --db FILE keeps it)");
      expect(readdirSync(tmp).filter((n) => !n.startsWith("tsx-"))).toEqual([]); // tsx keeps its compile cache there
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);

  it("usage errors name the fix", () => {
    const r = replay(["--until", "1h"]);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/--trace FILE or --site FILE/);
    const f = replay(["--trace", "test/fixtures/real/traces/midc_bms_ghi_20220120.csv", "--until", "soon"]);
    expect(f.status).toBe(2);
    expect(f.err).toMatch(/--until: a duration/);
  });
});

// `npm start`, the README's first command, as a newcomer runs it: the gateway with its dashboard, a simulated site on
// the real firmware that replays the last day at full speed, catches up with this computer's clock and then goes
// on live; Ctrl-C stops it cleanly with a ledger. Started a second time on the same data, the site goes on from
// where the database ends with its boot counter going on: nothing of the first run is taken for a duplicate.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";

const root = new URL("../..", import.meta.url).pathname;

interface SiteRow {
  site: string;
  online: boolean | number;
  last_seen: number;
}

interface LedgerLine {
  produced: number;
  stored: number;
  duplicated: number;
  lost: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `minigrid start` until it is live and has reported live once; then Ctrl-C. */
async function startOnce(data: string, pvNewerThan: number): Promise<{ out: string; code: number | null; site: SiteRow; pvTs: number; staleKeys: string[]; ledger: LedgerLine }> {
  const child = spawn(process.execPath, ["bin/minigrid.mjs", "start", "--data", data, "--port", "0", "--sites", "1"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let pvTs = 0;
  let site: SiteRow | undefined;
  let staleKeys: string[] = [];
  try {
    const deadline = Date.now() + 240_000;
    while (!/live now/.test(out) && Date.now() < deadline && child.exitCode === null) await sleep(250);
    expect(out).toMatch(/live now/);
    const url = /dashboard (http:\/\/\S+)/.exec(out)![1];
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/minigrid/i);
    // wait for a report of this run that is newer than what was stored before: the site is online and last seen
    // close to this computer's clock (not hours behind as a replay that never caught up, nor ahead as one that
    // ran past now)
    const until = Date.now() + 150_000;
    let latest: { channels: { key: string; stale: boolean; ts: number | null }[] } = { channels: [] };
    do {
      await sleep(1000);
      const sites = (await (await fetch(url + "api/sites")).json()) as { sites: SiteRow[] };
      site = sites.sites[0];
      if (!site) continue;
      latest = (await (await fetch(url + `api/sites/${site.site}/nodes/n1/latest`)).json()) as typeof latest;
      pvTs = latest.channels.find((c) => c.key === "pv_W")?.ts ?? 0;
    } while ((!site || pvTs <= pvNewerThan) && Date.now() < until);
    staleKeys = latest.channels.filter((c) => c.stale).map((c) => c.key);
  } finally {
    child.kill("SIGINT");
  }
  const code = await exited;
  const row = out.split("\n").find((l) => /^demo\S*\/n1\s/.test(l));
  expect(row, out).toBeDefined();
  // the ledger's columns by their names in its header
  const head = out.split("\n").find((l) => /^node\s+produced\s/.test(l))!.trim().split(/\s+/);
  const cell = (name: string) => Number(row!.trim().split(/\s+/)[head.indexOf(name)]);
  const [produced, stored, duplicated, lost] = ["produced", "stored", "duplicated", "lost"].map(cell);
  return { out, code, site: site!, pvTs, staleKeys, ledger: { produced, stored, duplicated, lost } };
}

describe("npm start", () => {
  it("replays the day, catches up with the wall clock, serves the dashboard fresh, stops on Ctrl-C; a second start goes on", async () => {
    const data = mkdtempSync(join(tmpdir(), "minigrid-start-"));
    const first = await startOnce(data, Date.now() - 5 * 60_000);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/replay the last 24\.0 h/);
    expect(first.site.online).toBeTruthy();
    expect(Math.abs(Date.now() - first.site.last_seen)).toBeLessThan(130_000); // within two reports
    expect(first.site.last_seen).toBeLessThanOrEqual(Date.now());
    expect(first.staleKeys).not.toContain("pv_W");
    expect(first.ledger.produced).toBeGreaterThanOrEqual(1440); // a day of 1-minute reports
    expect(first.ledger.duplicated).toBe(0);
    // a batch produced in the instant of Ctrl-C may still be on its way
    expect(first.ledger.lost).toBeLessThanOrEqual(1);

    // every batch at its own time: seqs in time order, the boot's first batch (stamped with uptime before the
    // node had its clock) placed a day back at the start of the replay, not at the host's time of its arrival
    const db = new Database(join(data, "minigrid.db"), { readonly: true });
    const inversions = db.prepare("SELECT COUNT(*) AS n FROM batches a JOIN batches b ON b.site = a.site AND b.node = a.node AND b.boot = a.boot AND b.seq = a.seq + 1 WHERE b.t0 <= a.t0").get() as { n: number };
    const firstT0 = (db.prepare("SELECT min(t0) AS t FROM batches").get() as { t: number }).t;
    // the demo's battery monitor was unplugged for an hour of the replayed day: its alarm raised, then cleared
    const unplugged = db.prepare("SELECT raised_at, cleared_at FROM alarms WHERE rule = 'sensor_failed:battery'").all() as { raised_at: number; cleared_at: number | null }[];
    db.close();
    expect(unplugged.length).toBe(1);
    expect(unplugged[0].cleared_at).not.toBeNull();
    expect(unplugged[0].cleared_at! - unplugged[0].raised_at).toBeGreaterThan(50 * 60_000);
    expect(inversions.n).toBe(0);
    expect(Date.now() - firstT0).toBeGreaterThan(23 * 3600_000);

    const second = await startOnce(data, first.pvTs);
    expect(second.code).toBe(0);
    // the gap since the first run only, not another day over the stored one
    const gap_h = Number(/replay the last ([\d.]+) h/.exec(second.out)![1]);
    expect(gap_h).toBeLessThan(0.5);
    expect(second.ledger.produced).toBeGreaterThan(0);
    expect(second.ledger.duplicated).toBe(0);
    expect(second.ledger.lost).toBeLessThanOrEqual(1);
    expect(second.pvTs).toBeGreaterThan(first.pvTs);
    expect(Math.abs(Date.now() - second.site.last_seen)).toBeLessThan(130_000);
  }, 600_000);
});

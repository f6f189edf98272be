// The uplink benchmarks' site-day: a real PV trace (the SERF 1-minute AC power series, test/fixtures/real/traces)
// replayed for 24 h through the Pico's built firmware (dist/firmware/pico.js) in the simulator against the embedded
// gateway, as `minigrid sim replay --trace ... --until 24h` does (the default site: 1.2 kWp, 2.4 kWh lead-acid, the
// battery monitor, the charge controller, three feeders), then read back from the gateway's SQLite file as the
// uplink reads it (gateway/uplink/records.ts): the node's own channel table and the scaled integers it sent.
// The gateway's database and the day read from it are cached in the system's temp folder (minigrid-bench/), keyed by
// the firmware file, the trace and this file, because the replay takes a few seconds.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { BatchItem } from "../contracts/uplink-wire";
import { readBatch } from "../gateway/uplink/records";
import { EmbeddedGateway } from "../sim/fleet/embedded-gateway";
import { runReplay } from "../sim/fleet/replay";
import { fleetSpecs } from "../sim/fleet/sites";

export interface SiteDay {
  site: string;
  node: string;
  /** The node's channel table: ids, keys, aggregations, scales (value = raw / 10^scale). */
  c: number[];
  keys: string[];
  aggs: string[];
  scales: number[];
  /** The stored batches in order, as the uplink forwards them. */
  items: BatchItem[];
}

const trace = fileURLToPath(new URL("../test/fixtures/real/traces/serf_east_1min_ac_power.csv", import.meta.url));
const firmware = fileURLToPath(new URL("../dist/firmware/pico.js", import.meta.url));
const self = fileURLToPath(import.meta.url);

/** The stored site-day of the gateway's database at `dbPath`: one node's channel table and every batch. */
export function readSiteDay(dbPath: string): SiteDay {
  const db = new Database(dbPath, { readonly: true });
  try {
    const n = db.prepare("SELECT site, node FROM nodes LIMIT 1").get() as { site: string; node: string };
    const ch = db.prepare("SELECT channel_id, key, agg, scale FROM channels WHERE site=? AND node=? ORDER BY channel_id").all(n.site, n.node) as {
      channel_id: number;
      key: string;
      agg: string;
      scale: number;
    }[];
    const keys = db.prepare("SELECT boot, seq FROM batches WHERE site=? AND node=? ORDER BY t0").all(n.site, n.node) as { boot: number; seq: number }[];
    const items = keys.map((k) => readBatch(db, n.site, n.node, k.boot, k.seq)!.item);
    return { site: n.site, node: n.node, c: ch.map((r) => r.channel_id), keys: ch.map((r) => r.key), aggs: ch.map((r) => r.agg), scales: ch.map((r) => r.scale), items };
  } finally {
    db.close();
  }
}

/** The gateway's database of the replayed day (made once, then from the cache). Throws when the firmware is not built. */
export async function replayedSiteDayDb(): Promise<string> {
  if (!existsSync(firmware)) throw new Error("dist/firmware/pico.js is missing: run `npx minigrid build` first");
  const h = createHash("sha256");
  for (const f of [firmware, trace, self]) h.update(readFileSync(f));
  const dir = join(tmpdir(), "minigrid-bench");
  const cached = join(dir, `site-day-${h.digest("hex").slice(0, 16)}.db`);
  if (existsSync(cached)) return cached;
  mkdirSync(dir, { recursive: true });
  // written under a temporary name and renamed when complete: a run cut short leaves no half day behind
  const part = `${cached}.${process.pid}.part`;
  const gateway = await EmbeddedGateway.start({ dbPath: part });
  try {
    const specs = fleetSpecs({ name: "replay", array_kWp: 1.2, battery: { kWh: 2.4, chemistry: "lead-acid" }, trace }, { sites: 1, seed: 1 });
    await runReplay({ specs, untilMs: 24 * 3600_000, drainMs: 0, gateway });
    await gateway.down();
    const db = new Database(part);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.pragma("journal_mode = DELETE");
    db.close();
    renameSync(part, cached);
    for (const f of [`${part}-wal`, `${part}-shm`]) rmSync(f, { force: true });
    return cached;
  } finally {
    await gateway.close();
  }
}

/** The replayed day as the uplink reads it. */
export async function replayedSiteDay(): Promise<SiteDay> {
  const path = await replayedSiteDayDb();
  const json = path.replace(/\.db$/, ".json");
  if (existsSync(json)) return JSON.parse(readFileSync(json, "utf8")) as SiteDay;
  const day = readSiteDay(path);
  const part = `${json}.${process.pid}.part`;
  writeFileSync(part, JSON.stringify(day));
  renameSync(part, json); // a reader at the same time sees the whole file or none
  return day;
}

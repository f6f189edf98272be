// Virtual-time speed of the simulator, each site running the real minified bundle (dist/firmware/pico.js) against
// the embedded gateway, PV from the real SERF trace through the site model:
//   sim.oneSite.speedX          virtual / real time for one site over a day (target >= 10,000)
//   sim.oneSite.peakRss_MB      peak resident memory while it ran (sampled every 100 ms)
//   sim.fleet.sites, .virtual_h the fleet measured: MG_BENCH_FLEET_SITES sites (default 100) over MG_BENCH_FLEET_H
//                               hours (default 24), in 2 worker threads
//   sim.fleet.real_s            real seconds it took (target for 100 sites x 1 day: under 120 s and 600 MB on 2 cores)
//   sim.fleet.dayEstimate_s     the same scaled to 100 sites x 24 h, when a smaller fleet was measured
//   sim.fleet.peakRss_MB        peak resident memory of this process (workers included) and its children
//   sim.fleetExt.*              the same for a fleet against a separate gateway process (`minigrid gateway`, demo
//                               mode, SQLite with NORMAL sync): MG_BENCH_EXT_SITES sites (default 500) over
//                               MG_BENCH_EXT_H hours (default 24), in 2 worker threads; real_s (target for 500 sites
//                               x 1 day: under 15 minutes), dayEstimate_s (scaled to 500 x 24 h), peakRss_MB (both
//                               processes), lost, duplicated and queued from the gateway's database (all must be 0),
//                               and the nodes' reconnects
//   sim.fleet*.boardsCpu_s      CPU of the worker threads that ran the boards (firmware, virtual Espruinos, device
//                               and site models), Linux only; .boardsCpuPerSiteDay_s per site-day; .boardsWaitingForCpu_s
//                               the time they were ready to run but every core was busy; .boardsAloneDayEstimate_s that
//                               CPU spread over all the machine's cores and scaled to 100 (500) site-days: the least
//                               real time the run could take even with a gateway that cost nothing
//   sim.fleet.gatewayThreadCpu_s   CPU of this process's main thread (the embedded gateway, its broker, the replay)
//   sim.fleet.helperThreadsCpu_s   the rest of this process's CPU (V8's garbage collector and compiler threads)
//   sim.fleetExt.gatewayCpu_s   CPU of the gateway process, and .gatewayCpuPerBatch_ms per batch the boards produced
//   sim.load1                   the machine's 1-minute load average when the fleets were measured (2 cores)
//   sim.siteImport_ms, _MB      what loading one simulated site's code (sim/site/virtual-site.ts, as every fleet
//                               worker thread does) costs a fresh Node process through tsx: time, and resident memory
//                               after it (median of 3)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EmbeddedGateway } from "../sim/fleet/embedded-gateway";
import { runReplay } from "../sim/fleet/replay";
import { fleetSpecs } from "../sim/fleet/sites";
import { StoreLedger } from "../sim/site/store-ledger";
import { ledgerVerdict } from "../sim/fleet/replay";
import { freePort } from "../sim/fleet/embedded-gateway";
import { peakSampler, startGatewayProcess } from "./process-tree";
import { processCpuSeconds, threadCpu, type ThreadCpu } from "../sim/fleet/thread-cpu";

const trace = fileURLToPath(new URL("../test/fixtures/real/traces/serf_east_1min_ac_power.csv", import.meta.url));

const benchSite = { name: "bench", array_kWp: 1.5, utcOffset_h: -7, battery: { kWh: 4.8, chemistry: "lifepo4" as const }, trace };

/** Where a fleet's CPU went: the boards' worker threads, this process's main thread, and the rest of this process. */
interface FleetCpu {
  boards?: ThreadCpu;
  main_s?: number;
  helpers_s?: number;
}

async function measure(sites: number, hours: number, workers: number): Promise<{ real_s: number; peak_MB: number; lost: number; cpu: FleetCpu }> {
  const sampler = peakSampler(() => [process.pid], 100);
  const main0 = threadCpu();
  const proc0 = process.cpuUsage();
  const ledger = new StoreLedger();
  const gateway = await EmbeddedGateway.start({ onStored: (n) => ledger.onAcknowledged(n) });
  try {
    const specs = fleetSpecs(benchSite, { sites, seed: 1, shift_h: 0.25 });
    const r = await runReplay({ specs, untilMs: hours * 3600_000, drainMs: 0, gateway, ledger, workers });
    await gateway.down();
    const main1 = threadCpu();
    const proc = process.cpuUsage(proc0);
    const main_s = main0 && main1 ? main1.cpu_s - main0.cpu_s : undefined;
    const helpers_s = main_s !== undefined && r.workersCpu ? (proc.user + proc.system) / 1e6 - main_s - r.workersCpu.cpu_s : undefined;
    const lost = ledger.rows(gateway.dbPath).reduce((a, x) => a + x.lost, 0);
    return { real_s: r.realMs / 1000, peak_MB: Math.round(sampler.stop() / 1e6), lost, cpu: { boards: r.workersCpu, main_s, helpers_s } };
  } finally {
    sampler.stop();
    await gateway.close();
  }
}

/** A fleet against `minigrid gateway` in its own process; the ledger from its database once it has stopped. */
async function measureExternal(sites: number, hours: number, workers: number) {
  const dir = mkdtempSync(join(tmpdir(), "minigrid-simext-"));
  const db = join(dir, "gateway.db");
  const port = await freePort();
  const http = await freePort();
  const sampler = peakSampler(() => [process.pid], 200); // this process, its worker threads and the gateway below it
  try {
    const gw = await startGatewayProcess(dir, `demo: true\nbroker: { host: 127.0.0.1, port: ${port} }\nstorage: { path: ${JSON.stringify(db)}, synchronous: NORMAL }\nhttp: { host: 127.0.0.1, port: ${http} }\n`);
    const ledger = new StoreLedger();
    let r;
    let gatewayCpu_s: number | undefined;
    try {
      const specs = fleetSpecs({ ...benchSite, name: "ext" }, { sites, seed: 1, shift_h: 0.25 });
      // a drain of 10 virtual minutes: what the last minutes produced reaches the gateway
      r = await runReplay({ specs, untilMs: hours * 3600_000, drainMs: 600_000, broker: { host: "127.0.0.1", port }, ledger, workers });
      gatewayCpu_s = gw.proc.pid ? processCpuSeconds(gw.proc.pid) : undefined;
    } finally {
      await gw.stop();
    }
    const rows = ledger.rows(db);
    const v = ledgerVerdict(rows);
    return {
      real_s: r.realMs / 1000,
      peak_MB: Math.round(sampler.stop() / 1e6),
      lost: v.lost,
      duplicated: v.duplicated,
      queued: rows.reduce((a, x) => a + x.queued, 0),
      produced: rows.reduce((a, x) => a + x.produced, 0),
      reconnects: r.reconnects,
      boards: r.workersCpu,
      gatewayCpu_s,
    };
  } finally {
    sampler.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const importProbe = `import { register } from "tsx/esm/api";
register();
const t0 = performance.now();
await import(process.argv[1]);
console.log(JSON.stringify({ ms: performance.now() - t0, rss: process.memoryUsage().rss }));`;

/** Time and memory of importing `file` in a fresh Node process (tsx registered first, as bin/minigrid.mjs does). */
function importCost(file: string): { ms: number; MB: number } {
  const runs: { ms: number; rss: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", importProbe, file], { encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)) });
    if (r.status !== 0) throw new Error(`importing ${file} failed: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout.trim().split("\n").pop()!));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
  return { ms: Math.round(median(runs.map((r) => r.ms))), MB: Math.round(median(runs.map((r) => r.rss)) / 1e6) };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The boards' share of a fleet's time: their worker threads' CPU, per site-day, and that CPU spread over every core of
 * the machine (the least real time the run could take even with a gateway that cost nothing), scaled like real_s.
 */
function boardsCpu(prefix: string, boards: ThreadCpu | undefined, siteDays: number, scale: number): Record<string, number> {
  if (!boards) return {};
  return {
    [`${prefix}.boardsCpu_s`]: round1(boards.cpu_s),
    [`${prefix}.boardsCpuPerSiteDay_s`]: Math.round((boards.cpu_s / siteDays) * 100) / 100,
    [`${prefix}.boardsWaitingForCpu_s`]: round1(boards.waiting_s),
    [`${prefix}.boardsAloneDayEstimate_s`]: Math.round((boards.cpu_s * scale) / availableParallelism()),
  };
}

export async function bench(): Promise<Record<string, number>> {
  const site = importCost(fileURLToPath(new URL("../sim/site/virtual-site.ts", import.meta.url)));
  const one = await measure(1, 24, 0);
  const sites = Number(process.env.MG_BENCH_FLEET_SITES ?? 100);
  const hours = Number(process.env.MG_BENCH_FLEET_H ?? 24);
  const fleet = await measure(sites, hours, 2);
  const load1 = loadavg()[0];
  const extSites = Number(process.env.MG_BENCH_EXT_SITES ?? 500);
  const extHours = Number(process.env.MG_BENCH_EXT_H ?? 24);
  const ext = extSites > 0 ? await measureExternal(extSites, extHours, 2) : undefined;
  return {
    "sim.oneSite.speedX": Math.round((24 * 3600) / one.real_s),
    "sim.oneSite.real_s": Math.round(one.real_s * 10) / 10,
    "sim.oneSite.peakRss_MB": one.peak_MB,
    "sim.fleet.sites": sites,
    "sim.fleet.virtual_h": hours,
    "sim.fleet.real_s": Math.round(fleet.real_s),
    "sim.fleet.dayEstimate_s": Math.round((fleet.real_s * (100 / sites) * 24) / hours),
    "sim.fleet.peakRss_MB": fleet.peak_MB,
    ...boardsCpu("sim.fleet", fleet.cpu.boards, (sites * hours) / 24, (100 / sites) * (24 / hours)),
    ...(fleet.cpu.main_s !== undefined ? { "sim.fleet.gatewayThreadCpu_s": round1(fleet.cpu.main_s) } : {}),
    ...(fleet.cpu.helpers_s !== undefined ? { "sim.fleet.helperThreadsCpu_s": round1(fleet.cpu.helpers_s) } : {}),
    "sim.lost": one.lost + fleet.lost,
    ...(ext
      ? {
          "sim.fleetExt.sites": extSites,
          "sim.fleetExt.virtual_h": extHours,
          "sim.fleetExt.real_s": Math.round(ext.real_s),
          "sim.fleetExt.dayEstimate_s": Math.round((ext.real_s * (500 / extSites) * 24) / extHours),
          "sim.fleetExt.peakRss_MB": ext.peak_MB,
          "sim.fleetExt.produced": ext.produced,
          "sim.fleetExt.lost": ext.lost,
          "sim.fleetExt.duplicated": ext.duplicated,
          "sim.fleetExt.queued": ext.queued,
          "sim.fleetExt.reconnects": ext.reconnects,
          ...boardsCpu("sim.fleetExt", ext.boards, (extSites * extHours) / 24, (500 / extSites) * (24 / extHours)),
          ...(ext.gatewayCpu_s !== undefined ? { "sim.fleetExt.gatewayCpu_s": round1(ext.gatewayCpu_s), "sim.fleetExt.gatewayCpuPerBatch_ms": Math.round((ext.gatewayCpu_s / Math.max(1, ext.produced)) * 1e5) / 100 } : {}),
        }
      : {}),
    "sim.load1": Math.round(load1 * 10) / 10,
    "sim.siteImport_ms": site.ms,
    "sim.siteImport_MB": site.MB,
  };
}

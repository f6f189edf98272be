// Virtual-time speed of the simulator, each site running the real minified bundle (dist/firmware/pico.js) against
// the embedded gateway, PV from the real SERF trace through the site model:
//   sim.oneSite.speedX          virtual / real time for one site over a day (target >= 10,000)
//   sim.oneSite.peakRss_MB      peak resident memory while it ran (sampled every 100 ms)
//   sim.fleet.sites, .virtual_h the fleet measured: MG_BENCH_FLEET_SITES sites (default 100) over MG_BENCH_FLEET_H
//                               hours (default 24), in 2 worker threads
//   sim.fleet.real_s            real seconds it took (target for 100 sites x 1 day: < 300 s on 2 cores)
//   sim.fleet.dayEstimate_s     the same scaled to 100 sites x 24 h, when a smaller fleet was measured
//   sim.fleet.peakRss_MB        peak resident memory of the main thread's process (workers included)
//   sim.siteImport_ms, _MB      what loading one simulated site's code (sim/site/virtual-site.ts, as every fleet
//                               worker thread does) costs a fresh Node process through tsx: time, and resident memory
//                               after it (median of 3)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { EmbeddedGateway } from "../sim/fleet/embedded-gateway";
import { runReplay } from "../sim/fleet/replay";
import { fleetSpecs } from "../sim/fleet/sites";
import { StoreLedger } from "../sim/site/store-ledger";

const trace = fileURLToPath(new URL("../test/fixtures/real/traces/serf_east_1min_ac_power.csv", import.meta.url));

async function measure(sites: number, hours: number, workers: number): Promise<{ real_s: number; peak_MB: number; lost: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const ledger = new StoreLedger();
  const gateway = await EmbeddedGateway.start({ onStored: (n) => ledger.onAcknowledged(n) });
  try {
    const specs = fleetSpecs({ name: "bench", array_kWp: 1.5, utcOffset_h: -7, battery: { kWh: 4.8, chemistry: "lifepo4" }, trace }, { sites, seed: 1, shift_h: 0.25 });
    const r = await runReplay({ specs, untilMs: hours * 3600_000, drainMs: 0, gateway, ledger, workers });
    await gateway.down();
    const lost = ledger.rows(gateway.dbPath).reduce((a, x) => a + x.lost, 0);
    return { real_s: r.realMs / 1000, peak_MB: Math.round(peak / 1e6), lost };
  } finally {
    clearInterval(sampler);
    await gateway.down();
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

export async function bench(): Promise<Record<string, number>> {
  const site = importCost(fileURLToPath(new URL("../sim/site/virtual-site.ts", import.meta.url)));
  const one = await measure(1, 24, 0);
  const sites = Number(process.env.MG_BENCH_FLEET_SITES ?? 100);
  const hours = Number(process.env.MG_BENCH_FLEET_H ?? 24);
  const fleet = await measure(sites, hours, 2);
  return {
    "sim.oneSite.speedX": Math.round((24 * 3600) / one.real_s),
    "sim.oneSite.real_s": Math.round(one.real_s * 10) / 10,
    "sim.oneSite.peakRss_MB": one.peak_MB,
    "sim.fleet.sites": sites,
    "sim.fleet.virtual_h": hours,
    "sim.fleet.real_s": Math.round(fleet.real_s),
    "sim.fleet.dayEstimate_s": Math.round((fleet.real_s * (100 / sites) * 24) / hours),
    "sim.fleet.peakRss_MB": fleet.peak_MB,
    "sim.lost": one.lost + fleet.lost,
    "sim.siteImport_ms": site.ms,
    "sim.siteImport_MB": site.MB,
  };
}

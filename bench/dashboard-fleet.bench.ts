// The fleet page and the site page against a gateway that holds 500 sites: a real SQLite file filled through the
// gateway's own Store (sim/fleet/store-fill.ts: a day of one-minute rows per node, the pico's 44 channels), the API
// started on it (its rollups brought up to date as at a gateway's start), and the pages' API calls timed over real
// HTTP on loopback. Figures: p50 and p95 of a fleet page load (GET /api/fleet), its first load after the start
// (which reads every node's first reading of the day; later loads remember them), p50 and p95 of a site page load
// (its five calls, as the page makes them), the reply's size, the time to fill the store and to start the API on it
// (its rollups built), and a reference: the p50 of a request that does almost nothing, which tells how busy the
// machine was. MG_BENCH_DASH_SITES and MG_BENCH_DASH_REPORT_S measure a smaller or coarser fleet.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Store } from "../gateway/storage/store";
import { EventBus } from "../gateway/events";
import { startApi } from "../gateway/api/server";
import { fillFleet } from "../sim/fleet/store-fill";

const zones = ["Africa/Nairobi", "Asia/Kathmandu", "America/Lima", "UTC", "Asia/Manila"];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export async function bench(): Promise<Record<string, number>> {
  const sites = Number(process.env.MG_BENCH_DASH_SITES ?? 500);
  const report_s = Number(process.env.MG_BENCH_DASH_REPORT_S ?? 60);
  const dir = mkdtempSync(join(tmpdir(), "minigrid-dash-"));
  const file = join(dir, "gateway.db");
  // no sync only to keep the fill short; the API reads the same file as it would under FULL
  const store = Store.open(file, { synchronous: "OFF" });
  try {
    const now = Date.now();
    const t = performance.now();
    const samples = fillFleet(store, { sites, end_ms: now, hours: 24, report_s });
    // some alarms open, as a real fleet has: every 10th site a warning, every 50th a critical one
    const ins = store.db.prepare("INSERT INTO alarms (site, node, rule, severity, raised_at, message) VALUES (?, 'n1', ?, ?, ?, 'bench')");
    store.transaction(() => {
      for (let k = 0; k < sites; k += 10) ins.run(`site-${String(k + 1).padStart(3, "0")}`, "soc_low", "warning", now - 3_600_000);
      for (let k = 0; k < sites; k += 50) ins.run(`site-${String(k + 1).padStart(3, "0")}`, "battery_low", "critical", now - 1_800_000);
    });
    const fill_s = (performance.now() - t) / 1000;
    const siteSettings: { [s: string]: { timezone: string } } = {};
    for (let k = 0; k < sites; k++) siteSettings[`site-${String(k + 1).padStart(3, "0")}`] = { timezone: zones[k % zones.length] };
    const s0 = performance.now();
    const api = await startApi({ db: store.db, bus: new EventBus(), config: { port: 0, sites: siteSettings }, log: () => {} });
    const start_s = (performance.now() - s0) / 1000;
    const base = `http://127.0.0.1:${api.port}`;
    const get = async (path: string) => {
      const r = await fetch(base + path);
      const text = await r.text();
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${text.slice(0, 200)}`);
      return text.length;
    };
    try {
      const fleetMs: number[] = [];
      let bytes = 0;
      let first_ms = 0;
      for (let i = 0; i < 33; i++) {
        const a = performance.now();
        bytes = await get("/api/fleet");
        // the first after the start reads every day's first reading; later ones only what can have changed
        if (i === 0) first_ms = performance.now() - a;
        if (i >= 3) fleetMs.push(performance.now() - a); // three to warm up
      }
      const siteMs: number[] = [];
      for (let i = 0; i < 33; i++) {
        const site = `site-${String(((i * 37) % sites) + 1).padStart(3, "0")}`;
        const a = performance.now();
        // what the site page asks for when it opens: its list of sites, then nodes and days, then latest, then series
        await get("/api/sites");
        await Promise.all([get(`/api/sites/${site}/nodes`), get(`/api/sites/${site}/daily?days=30`)]);
        await get(`/api/sites/${site}/nodes/n1/latest`);
        await get(`/api/sites/${site}/series?points=600`);
        if (i >= 3) siteMs.push(performance.now() - a);
      }
      // the machine's state in the same run: a request that does almost nothing (GET /api/alarms of a site without any)
      const refMs: number[] = [];
      for (let i = 0; i < 33; i++) {
        const a = performance.now();
        await get("/api/alarms?site=none&limit=1");
        if (i >= 3) refMs.push(performance.now() - a);
      }
      refMs.sort((a, b) => a - b);
      fleetMs.sort((a, b) => a - b);
      siteMs.sort((a, b) => a - b);
      const rows = [
        ["fleet page (GET /api/fleet)", quantile(fleetMs, 0.5), quantile(fleetMs, 0.95)],
        ["site page (5 calls)", quantile(siteMs, 0.5), quantile(siteMs, 0.95)],
        ["reference (an empty alarms list)", quantile(refMs, 0.5), quantile(refMs, 0.95)],
      ];
      process.stderr.write(`  the first fleet page after the start: ${r2(first_ms)} ms\n`);
      process.stderr.write(`dashboard-fleet: ${sites} sites, ${samples.toLocaleString("en-US")} samples (${Math.round(statSync(file).size / 1e6)} MB), filled in ${r2(fill_s)} s, API started in ${r2(start_s)} s\n`);
      for (const [what, p50, p95] of rows) process.stderr.write(`  ${String(what).padEnd(30)} p50 ${r2(p50 as number)} ms  p95 ${r2(p95 as number)} ms\n`);
      return {
        "dashboard.fleet.sites": sites,
        "dashboard.fleet.samples": samples,
        "dashboard.fleet.fill.s": r2(fill_s),
        "dashboard.fleet.apiStart.s": r2(start_s),
        "dashboard.fleet.first.ms": r2(first_ms),
        "dashboard.fleet.p50.ms": r2(quantile(fleetMs, 0.5)),
        "dashboard.fleet.p95.ms": r2(quantile(fleetMs, 0.95)),
        "dashboard.fleet.replyBytes": bytes,
        "dashboard.site.p50.ms": r2(quantile(siteMs, 0.5)),
        "dashboard.site.p95.ms": r2(quantile(siteMs, 0.95)),
        "dashboard.reference.p50.ms": r2(quantile(refMs, 0.5)),
      };
    } finally {
      await api.stop();
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// npm start: the one-command demo. Builds the firmware if a source is newer than its bundle, starts the gateway
// (embedded broker in demo mode on loopback, SQLite under ./data, the HTTP API and the dashboard), and a fleet of
// three simulated sites on the real firmware that replays the last day at full speed and then goes on in real time.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Command, intOption } from "../command";
import { boards } from "../../firmware/boards/index";
import { firmwareOutDir, projectRoot } from "../build/paths";
import { buildFirmware } from "./build";
import { EmbeddedGateway, freePort } from "../../sim/fleet/embedded-gateway";
import { runReplay } from "../../sim/fleet/replay";
import { fleetSpecs } from "../../sim/fleet/sites";
import { StoreLedger, formatLedger } from "../../sim/site/store-ledger";

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

function needsBuild(): boolean {
  const src = newestMtime(join(projectRoot, "firmware"));
  return boards.some((b) => {
    const f = join(firmwareOutDir, `${b.id}.js`);
    return !existsSync(f) || statSync(f).mtimeMs < src;
  });
}

async function portOr(preferred: number): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => void freePort().then(resolve));
    s.listen(preferred, "127.0.0.1", () => s.close(() => resolve(preferred)));
  });
}

/** What an earlier demo left in the database: each node's last boot, and where its stored batches end (Unix s). */
function previousRun(dbPath: string): { boots: Map<string, number>; endUnix: number } {
  const boots = new Map<string, number>();
  let endUnix = 0;
  if (!existsSync(dbPath)) return { boots, endUnix };
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT site, node, max(boot) AS boot, max(t0) + max(interval_s) * 1000 AS end_ms FROM batches GROUP BY site, node")
      .all() as { site: string; node: string; boot: number; end_ms: number | null }[];
    for (const r of rows) {
      boots.set(`${r.site}/${r.node}`, r.boot);
      endUnix = Math.max(endUnix, Math.ceil((r.end_ms ?? 0) / 1000));
    }
  } catch {
    // a database without batches yet (or not a gateway's): start afresh
  } finally {
    db.close();
  }
  return { boots, endUnix };
}

export const startCommand: Command = {
  name: "start",
  usage: `Usage: minigrid start [--data DIR] [--port N] [--sites N]

Builds the firmware if needed, starts the gateway (embedded MQTT broker in demo mode: anonymous controllers
allowed, on 127.0.0.1 only; SQLite in DIR/minigrid.db; the HTTP API and dashboard), and simulates a fleet of sites
(PV from a real trace, test/fixtures/real/traces/serf_east_1min_ac_power.csv, through the site model) each running
the real firmware bundle: the last 24 hours are replayed at full speed until the sites catch up with this computer's clock, then
they go on in real time. The trace's sun is moved into this computer's time zone.
Prints the dashboard's URL. Ctrl-C stops everything cleanly and prints the ledger.

Options:
  --data DIR   where the database goes (default ./data)
  --port N     HTTP port of the API and dashboard (default 8080, or a free one if it is taken)
  --sites N    simulated sites (default 3)
  -h, --help   show this help`,
  options: { data: { type: "string" }, port: { type: "string" }, sites: { type: "string" } },
  async run(values) {
    const sites = intOption(values, "sites", 3, 1, 50);
    if (needsBuild()) await buildFirmware([], (l) => console.log(l));
    const dataDir = (values.data as string | undefined) ?? join(process.cwd(), "data");
    mkdirSync(dataDir, { recursive: true });
    const ledger = new StoreLedger();
    const gateway = await EmbeddedGateway.start({
      dbPath: join(dataDir, "minigrid.db"),
      brokerPort: await portOr(1883),
      apiPort: await portOr(Number((values.port as string | undefined) ?? "8080")),
      onStored: (n) => ledger.onAcknowledged(n),
    });
    const trace = join(projectRoot, "test/fixtures/real/traces/serf_east_1min_ac_power.csv");
    // A second start goes on from where the database ends (at most a day back) with the nodes' boot counters
    // going on, as real boards that were switched off for a while would
    const before = previousRun(join(dataDir, "minigrid.db"));
    const nowUnix = Math.floor(Date.now() / 1000);
    const startUnix = Math.min(nowUnix, Math.max(nowUnix - 86400, before.endUnix));
    // The trace was recorded at UTC-7 (Golden, Colorado); the demo sites live in this computer's time zone, so
    // their sun rises in the morning of the dashboard's clock: the trace moves by the difference, loads follow
    // local time.
    const local_h = -new Date().getTimezoneOffset() / 60;
    const traceOffset_h = -7;
    const specs = fleetSpecs(
      { name: "demo", array_kWp: 1.5, utcOffset_h: local_h, battery: { kWh: 4.8, chemistry: "lifepo4" }, trace },
      { sites, seed: 1, shift_h: 0.5, baseShift_s: (local_h - traceOffset_h) * 3600, startUnix },
    );
    for (const sp of specs) sp.bootsBefore = before.boots.get(`${sp.site}/${sp.node}`);
    console.log(`minigrid: dashboard ${gateway.apiUrl}  (broker mqtt://${gateway.broker.host}:${gateway.broker.port}, demo mode; database ${gateway.dbPath})`);
    const hours = ((Date.now() / 1000 - startUnix) / 3600).toFixed(1);
    console.log(`minigrid: ${sites} simulated sites replay the last ${hours} h at full speed, then run in real time; Ctrl-C to stop`);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let shown = false;
    await runReplay({
      specs, untilMs: 3650 * 86400_000, drainMs: 0, speed: 0, followWallClockFromUnix: startUnix, gateway, ledger, workers: sites > 1 ? 2 : 0, signal: abort.signal,
      onProgress: (p) => {
        if (p.live && !shown) {
          shown = true;
          console.log(`minigrid: the day is replayed (${ledger.producedCount()} batches, ${Math.round(p.realMs / 1000)} s); live now. Dashboard: ${gateway.apiUrl}`);
        }
      },
    });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await gateway.down();
    console.log(formatLedger(ledger.rows(gateway.dbPath)));
    return 0;
  },
};

// npm start: the one-command demo. Builds the firmware if a source is newer than its bundle, starts the gateway
// (embedded broker in demo mode on loopback, SQLite under ./data, the HTTP API and the dashboard), and a fleet of
// three simulated sites on the real firmware that replays the last day at full speed and then goes on in real time.
// The gateway, the simulator and the compiler are loaded only once it runs (not for --help).
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Command, UsageError, intOption } from "../command";
import { boards } from "../../firmware/boards/index";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";

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

/** Whether nothing listens on `port` of 127.0.0.1 yet (0: any free port, always). */
function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once("error", () => res(false));
    s.listen(port, "127.0.0.1", () => s.close(() => res(true)));
  });
}

async function anyFreePort(): Promise<number> {
  const { freePort } = await import("../../sim/fleet/embedded-gateway");
  return freePort();
}

/**
 * The port the demo uses for `what`: the one asked for with --`option` (0: a free one), refused when another program
 * holds it; without the option the default, or a free one when the default is taken, said on the terminal.
 */
export async function demoPort(what: string, option: string, asked: number | undefined, fallback: number, log: (line: string) => void): Promise<number> {
  if (asked === 0) return anyFreePort();
  if (asked !== undefined) {
    if (await portFree(asked)) return asked;
    throw new UsageError(`--${option} ${asked}: port ${asked} on 127.0.0.1 is in use by another program; give another port, --${option} 0 for any free one, or leave --${option} out`);
  }
  if (await portFree(fallback)) return fallback;
  const port = await anyFreePort();
  log(`minigrid: port ${fallback} (${what}) is taken by another program; the demo uses port ${port} instead (--${option} N to choose)`);
  return port;
}

/** What an earlier demo left in the database: each node's last boot, and where its stored batches end (Unix s). */
async function previousRun(dbPath: string): Promise<{ boots: Map<string, number>; endUnix: number }> {
  const boots = new Map<string, number>();
  let endUnix = 0;
  if (!existsSync(dbPath)) return { boots, endUnix };
  const { default: Database } = await import("better-sqlite3");
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
  usage: `Usage: minigrid start [--data DIR] [--port N] [--broker-port N] [--sites N]
       npm start -- [the same options]

Builds the firmware if needed, starts the gateway (embedded MQTT broker in demo mode: anonymous controllers
allowed, on 127.0.0.1 only; SQLite in DIR/minigrid.db; the HTTP API and dashboard), and simulates a fleet of sites
(PV from a real trace, test/fixtures/real/traces/serf_east_1min_ac_power.csv, through the site model) each running
the real firmware bundle: the last 24 hours are replayed at full speed until the sites catch up with this computer's clock, then
they go on in real time. The trace's sun is moved into this computer's time zone.
Prints the dashboard's URL and the ports it uses. Ctrl-C, or SIGINT or SIGTERM to it or to the npm that started
it, stops everything cleanly and prints the ledger.

Options:
  --data DIR        where the database goes (default ./data)
  --port N          HTTP port of the API and dashboard on 127.0.0.1 (default 8080, or a free one if another
                    program holds it; 0: any free port). A port asked for that is taken is refused.
  --broker-port N   MQTT port of the embedded broker on 127.0.0.1 (default 1883, or a free one; 0: any)
  --sites N         simulated sites, 1..50 (default 3)
  -h, --help        show this help`,
  options: { data: { type: "string" }, port: { type: "string" }, "broker-port": { type: "string" }, sites: { type: "string" } },
  async run(values) {
    const sites = intOption(values, "sites", 3, 1, 50);
    const askedHttp = values.port === undefined ? undefined : intOption(values, "port", 8080, 0, 65535);
    const askedBroker = values["broker-port"] === undefined ? undefined : intOption(values, "broker-port", 1883, 0, 65535);
    const dataDir = resolve((values.data as string | undefined) ?? join(process.cwd(), "data"));
    // Stop on SIGINT and SIGTERM from here on. `npm start` runs this with exec, so npm passes its signals on; were
    // npm killed outright, this process would be left without it (its parent changes) and stops as well rather
    // than run on unseen. Started otherwise (a shell, nohup), the parent's end is no reason to stop.
    const abort = new AbortController();
    const onSignal = (sig: string) => {
      if (!abort.signal.aborted) console.log(`minigrid: ${sig}: stopping`);
      abort.abort();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const parent = process.ppid;
    const byNpm = process.env.npm_lifecycle_event === "start";
    const orphanWatch = setInterval(() => {
      if (byNpm && process.ppid !== parent) onSignal("npm, which started it, ended");
    }, 1000);
    orphanWatch.unref();
    try {
      return await demo(sites, dataDir, askedHttp, askedBroker, abort.signal);
    } finally {
      clearInterval(orphanWatch);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};

async function demo(sites: number, dataDir: string, askedHttp: number | undefined, askedBroker: number | undefined, signal: AbortSignal): Promise<number> {
  const log = (l: string) => console.log(l);
  // the ports first: a port asked for and taken stops the demo before anything is built or started
  const brokerPort = await demoPort("MQTT broker", "broker-port", askedBroker, 1883, log);
  const apiPort = await demoPort("dashboard and API", "port", askedHttp, 8080, log);
  if (brokerPort === apiPort && brokerPort !== 0) throw new UsageError(`--port and --broker-port are both ${apiPort}; give them different ports`);
  mkdirSync(dataDir, { recursive: true });
  if (needsBuild()) {
    const { buildFirmware } = await import("./build");
    await buildFirmware([], log);
  }
  if (signal.aborted) return 0;
  const { EmbeddedGateway } = await import("../../sim/fleet/embedded-gateway");
  const { runReplay } = await import("../../sim/fleet/replay");
  const { fleetSpecs } = await import("../../sim/fleet/sites");
  const { StoreLedger, formatLedger } = await import("../../sim/site/store-ledger");
  const ledger = new StoreLedger();
  // A second start goes on from where the database ends (at most a day back) with the nodes' boot counters
  // going on, as real boards that were switched off for a while would
  const before = await previousRun(join(dataDir, "minigrid.db"));
  const gateway = await EmbeddedGateway.start({
    dbPath: join(dataDir, "minigrid.db"),
    brokerPort,
    apiPort,
    onStored: (n) => ledger.onAcknowledged(n),
  });
  const trace = join(projectRoot, "test/fixtures/real/traces/serf_east_1min_ac_power.csv");
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
  // the second site's battery is too small for its nights (soc_low in the night, cleared once the sun charged it)
  if (specs[1]) specs[1].description = { ...specs[1].description, battery: { ...specs[1].description.battery, kWh: 1.2 } };
  const faults = demoFaults(specs, startUnix);
  console.log(`minigrid: dashboard ${gateway.apiUrl}  (broker mqtt://${gateway.broker.host}:${gateway.broker.port}, demo mode; database ${gateway.dbPath})`);
  const hours = ((Date.now() / 1000 - startUnix) / 3600).toFixed(1);
  console.log(`minigrid: ${sites} simulated sites replay the last ${hours} h at full speed, then run in real time; Ctrl-C to stop`);
  let shown = false;
  if (!signal.aborted) {
    await runReplay({
      specs, faults, untilMs: 3650 * 86400_000, drainMs: 0, speed: 0, followWallClockFromUnix: startUnix, gateway, ledger, workers: sites > 1 ? 2 : 0, signal,
      onProgress: (p) => {
        if (p.live && !shown) {
          shown = true;
          console.log(`minigrid: the day is replayed (${ledger.producedCount()} batches, ${Math.round(p.realMs / 1000)} s); live now. Dashboard: ${gateway.apiUrl}`);
        }
      },
    });
  }
  await gateway.down();
  console.log(formatLedger(ledger.rows(gateway.dbPath)));
  return 0;
}

/**
 * The demo's fault, so that a first look shows an alarm raised and cleared: during the replayed day the first
 * site's battery monitor is unplugged for an hour (sensor_failed raised, then cleared once it is back). Only in the
 * replayed part: a demo started again on the same data replays less and unplugs nothing.
 */
export function demoFaults(specs: { site: string; node: string }[], startUnix: number): { atMs: number; action: { what: "unplug" | "plug"; sensor: "vedirect" }; nodes: string[] }[] {
  const replayed_h = (Date.now() / 1000 - startUnix) / 3600;
  if (replayed_h < 6) return [];
  const first = [`${specs[0].site}/${specs[0].node}`];
  return [
    { atMs: 3 * 3600_000, action: { what: "unplug", sensor: "vedirect" }, nodes: first },
    { atMs: 4 * 3600_000, action: { what: "plug", sensor: "vedirect" }, nodes: first },
  ];
}

// npm start: the one-command demo. Builds the firmware if a source is newer than its bundle, starts the gateway
// (embedded broker in demo mode on loopback, SQLite under ./data, the HTTP API and the dashboard), and a fleet of
// three simulated sites on the real firmware that replays the last day at full speed and then goes on in real time.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command, UsageError } from "../command";
import { boards } from "../../firmware/boards/index";
import { firmwareOutDir, projectRoot } from "../build/compile-firmware";
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

export const startCommand: Command = {
  name: "start",
  summary: "the demo: gateway, dashboard and three simulated sites on the real firmware (npm start)",
  usage: `Usage: minigrid start [--data DIR] [--port N] [--sites N]

Builds the firmware if needed, starts the gateway (embedded MQTT broker in demo mode: anonymous controllers
allowed, on 127.0.0.1 only; SQLite in DIR/minigrid.db; the HTTP API and dashboard), and simulates a fleet of sites
(PV from a real trace, test/fixtures/real/traces/serf_east_1min_ac_power.csv, through the site model) each running
the real firmware bundle: the last 24 hours are replayed at full speed, then the sites go on in real time.
Prints the dashboard's URL. Ctrl-C stops everything cleanly and prints the ledger.

Options:
  --data DIR   where the database goes (default ./data)
  --port N     HTTP port of the API and dashboard (default 8080, or a free one if it is taken)
  --sites N    simulated sites (default 3)
  -h, --help   show this help`,
  options: { data: { type: "string" }, port: { type: "string" }, sites: { type: "string" } },
  async run(values) {
    const sites = Number((values.sites as string | undefined) ?? "3");
    if (!(sites >= 1 && sites <= 50)) throw new UsageError("--sites takes 1..50");
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
    const startUnix = Math.floor(Date.now() / 1000) - 86400;
    const specs = fleetSpecs({ name: "demo", array_kWp: 1.5, utcOffset_h: -7, battery: { kWh: 4.8, chemistry: "lifepo4" }, trace }, { sites, seed: 1, shift_h: 1, startUnix });
    console.log(`minigrid: dashboard ${gateway.apiUrl}  (broker mqtt://${gateway.broker.host}:${gateway.broker.port}, demo mode; database ${gateway.dbPath})`);
    console.log(`minigrid: ${sites} simulated sites replay the last 24 h at full speed, then run in real time; Ctrl-C to stop`);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let shown = false;
    await runReplay({
      specs, untilMs: 3650 * 86400_000, drainMs: 0, speed: 0, realTimeAfterMs: 86400_000, gateway, ledger, workers: sites > 1 ? 2 : 0, signal: abort.signal,
      onProgress: (p) => {
        if (p.virtualMs >= 86400_000 && !shown) {
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

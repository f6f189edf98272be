// minigrid sim replay: sites from a trace or a site file, the real firmware bundle per board, against the embedded
// gateway or an external broker; faults; a progress line; the ledger; exit 1 when a batch was lost or duplicated.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { UsageError, intOption } from "../command";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { loadFaultFile, parseDurationMs } from "../../sim/faults/script";
import { EmbeddedGateway } from "../../sim/fleet/embedded-gateway";
import { ledgerVerdict, runReplay, ReplayProgress } from "../../sim/fleet/replay";
import { fleetSpecs, loadSiteFile, modelFor } from "../../sim/fleet/sites";
import { StoreLedger, formatLedger, ledgerAccount, StoreLedgerRow } from "../../sim/site/store-ledger";
import { connectFailure, probeTcp } from "../net-errors";
import type { SiteDescription } from "../../sim/site/site-description";
import { readTraceFile } from "../../sim/traces/read-trace";
import { dirname, resolve } from "node:path";
import { readFileSync } from "node:fs";
import { readImage } from "../../gateway/updates/image";
import { updatable } from "../../firmware/update/room";
import { findBoard } from "../../firmware/boards/index";
import type { ReplayUpdate, ReplayUpdateResult } from "../../sim/fleet/replay";

type Values = Record<string, string | boolean | string[] | undefined>;

export const replayOptions = {
  trace: { type: "string" },
  site: { type: "string" },
  speed: { type: "string" },
  gateway: { type: "string" },
  embedded: { type: "boolean" },
  db: { type: "string" },
  until: { type: "string" },
  drain: { type: "string" },
  seed: { type: "string" },
  faults: { type: "string" },
  json: { type: "boolean" },
  sites: { type: "string" },
  shift: { type: "string" },
  workers: { type: "string" },
  column: { type: "string" },
  update: { type: "string" },
  "update-at": { type: "string" },
  "wave-share": { type: "string" },
  "max-failure-share": { type: "string" },
  force: { type: "boolean" },
} as const;

export const replayUsage = `Usage: minigrid sim replay (--trace FILE | --site FILE) [--speed max|N] [--gateway URL | --embedded]
         [--until T] [--drain T] [--seed S] [--faults FILE] [--sites N] [--shift H] [--workers N] [--db FILE] [--json]
         [--update FILE [--update-at T] [--wave-share X] [--max-failure-share X] [--force]]

Replays a site (or a fleet of them) through the real firmware: each site's board loads its built bundle
(dist/firmware/<board>.js) in a virtual Espruino whose VE.Direct monitor, EPEver controller, INA226 feeders and CT
clamps are fed by the site model (sim/site: battery SOC and voltage, charge stages, LVD, inverter losses) from a
PV power or irradiance trace. The nodes publish to the gateway; at the end the ledger compares, per node, the
batches the firmware produced with what the gateway acknowledged and stored; a batch not stored but still in
the node's flash when the run ends is "queued" (the node sends it once it reaches a gateway), not lost; one
stored, then also inside a later merged summary's range, is "covered" (not stored twice). Exit
status 1 when any was lost or stored twice. Against the embedded gateway with --workers 0 a replay is
deterministic: one seed, the same ledger and the same stored rows.

  --trace FILE     PV power / irradiance series, canonical CSV, VE.Direct capture or EPEver log (a default site:
                   1.2 kWp, 2.4 kWh lead-acid, 12 V, five feeders)
  --site FILE      a site description (JSON; see docs/simulator.md "Site model"), its "trace" relative to the file
  --column NAME    the trace column to read (default: the first irradiance or PV power column)
  --speed max|N    virtual time at N x real time (default max: as fast as the CPU goes)
  --embedded       start the gateway in this process with a temporary SQLite file (default)
  --db FILE        the embedded gateway's database file; with --gateway, the external gateway's database to
                   read the ledger from
  --gateway URL    publish to an external gateway's broker, mqtt://host:port (gateway faults are not possible;
                   acknowledged counts the batches the nodes had a PUBACK for; --db reads its database); a node's
                   virtual clock waits for each CONNACK, PUBACK, SUBACK and PINGRESP however slow the gateway is,
                   so the run's ledger is the same at any speed
  --until T        virtual time to replay: 90m, 24h, 7d (default 24h); then --drain (default 1h) with every
                   fault cleared, for backlogs to drain
  --seed S         seed of the loads and the device noise (default 1); site k gets S + k
  --sites N        a fleet of N sites from the same description (default 1)
  --shift H        hours between the fleet's sites' weather (default 0)
  --workers N      worker threads for the virtual Espruinos (default 0: all in this thread)
  --faults FILE    a fault script (JSON or YAML; sim/faults/script.ts, e.g. sim/faults/pipeline-day.yaml)
  --update FILE    a fleet update over the air during the run (docs/updates.md "A fleet update in a replay"):
                   the built image FILE (e.g. dist/firmware/esp32.js built as a newer version) rolled out by the
                   embedded gateway's own rollout code on virtual time; the sites boot through the boot loader, as
                   minigrid flash leaves an updatable board (the ESP32 only: docs/updates.md "Room"); the summary
                   counts the nodes updated, rolled back, failed, refused and not reached; exit 1 unless every
                   node was updated
  --update-at T    virtual time the rollout begins (default 30m)
  --wave-share X   share of the nodes per wave, (0, 1] (default 0.25)
  --max-failure-share X  a wave whose share of nodes not updated passes X stops the rollout (default 0)
  --force          install the image even if it is not newer than the nodes' firmware
  --json           print the ledger as JSON on stdout
  -h, --help       show this help`;

function progressLine(p: ReplayProgress): string {
  const h = Math.floor(p.virtualMs / 3600_000);
  const m = Math.floor((p.virtualMs % 3600_000) / 60_000);
  const x = p.realMs > 0 ? Math.round(p.virtualMs / p.realMs) : 0;
  return `virtual ${h}h${String(m).padStart(2, "0")}m  x${x} real time  produced ${p.produced}  acknowledged ${p.acknowledged}${p.gatewayUp ? "" : "  (gateway down)"}`;
}

/** Everything a replay needs, checked before anything starts (a usage error after the gateway started would leave it running). */
interface ReplayPlan {
  specs: ReturnType<typeof fleetSpecs>;
  untilMs: number;
  drainMs: number;
  speed: number;
  workers: number;
  faults: ReturnType<typeof loadFaultFile>;
  broker: { host: string; port: number; url: string } | undefined;
  db: string | undefined;
  update: ReplayUpdate | undefined;
}

function plan(values: Values): ReplayPlan {
  const trace = values.trace as string | undefined;
  const siteFile = values.site as string | undefined;
  if (!trace === !siteFile) throw new UsageError("give one of --trace FILE or --site FILE\nSee: minigrid sim replay --help");
  if (values.gateway && values.embedded) throw new UsageError("--gateway URL and --embedded exclude each other");
  const num = (k: string, d: number) => {
    const v = values[k] === undefined ? d : Number(values[k]);
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${k} takes a number >= 0 (got '${values[k]}')`);
    return v;
  };
  const speedText = (values.speed as string | undefined) ?? "max";
  const speed = speedText === "max" ? 0 : Number(speedText);
  if (!(speed >= 0)) throw new UsageError(`--speed takes max or a number (got '${speedText}')`);
  let untilMs: number, drainMs: number;
  try {
    untilMs = parseDurationMs((values.until as string | undefined) ?? "24h", "--until");
    drainMs = parseDurationMs((values.drain as string | undefined) ?? "1h", "--drain");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const sites = intOption(values, "sites", 1, 1, 1000);
  const seed = num("seed", 1);
  const shift_h = num("shift", 0);
  const workers = num("workers", 0);
  let broker: ReplayPlan["broker"];
  if (values.gateway) {
    const text = values.gateway as string;
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw new UsageError(`--gateway: '${text}' is not a URL; give the gateway's broker as mqtt://HOST:PORT, e.g. mqtt://10.0.0.2:1883`);
    }
    if (u.protocol !== "mqtt:" && u.protocol !== "tcp:") throw new UsageError(`--gateway: ${u.protocol}// is not taken (the nodes speak plain MQTT); give mqtt://HOST:PORT`);
    broker = { host: u.hostname, port: Number(u.port || 1883), url: `mqtt://${u.hostname}:${u.port || 1883}` };
  }
  const db = values.db as string | undefined;
  if (db && broker && !existsSync(db)) throw new UsageError(`--db ${db} does not exist; with --gateway give the external gateway's database file, to read the ledger from`);
  if (db && !broker && !existsSync(dirname(resolve(db)))) throw new UsageError(`--db ${db}: the folder ${dirname(resolve(db))} does not exist; create it or name a file in an existing folder`);
  let desc: SiteDescription & { trace: string };
  try {
    desc = siteFile ? loadSiteFile(siteFile) : { name: "replay", array_kWp: 1.2, battery: { kWh: 2.4, chemistry: "lead-acid" }, trace: trace! };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new UsageError(`--site ${siteFile} does not exist; give a site description file (docs/simulator.md "Site model")`);
    if (e instanceof SyntaxError) throw new UsageError(`--site ${siteFile} is not JSON (${err.message}); a site description is a JSON object (docs/simulator.md "Site model")`);
    throw new UsageError(err.message);
  }
  if (!existsSync(desc.trace)) throw new UsageError(`trace ${desc.trace} does not exist; give --trace the path of a PV power or irradiance trace`);
  let specs: ReplayPlan["specs"];
  try {
    // the trace is read now, so that a malformed one is told before anything starts: refused when most rows are bad
    const t = readTraceFile(desc.trace, { column: values.column as string | undefined });
    const finite = Object.values(t.cols).some((c) => c!.some((v) => Number.isFinite(v)));
    const bad = t.rejected.count;
    if (bad > 0 && bad >= t.t.length) throw new Error(`${bad} of ${bad + t.t.length} rows refused (${t.rejected.first.join("; ")})`);
    if (!finite) throw new Error(`no value in any column of its ${t.t.length} rows`);
    if (bad > 0) console.error(`minigrid sim replay: trace ${desc.trace}: ${bad} of ${bad + t.t.length} rows skipped (${t.rejected.first.join("; ")})`);
    specs = fleetSpecs(desc, { sites, seed, shift_h });
    if (values.column) for (const s of specs) s.traceColumn = values.column as string;
    modelFor(specs[0]); // the site model's own checks of its trace and column
  } catch (e) {
    throw new UsageError(`trace ${desc.trace}: ${(e as Error).message}; the formats a replay reads are in docs/simulator.md "Traces"`);
  }
  for (const s of specs) {
    const f = join(firmwareOutDir, `${s.board}.js`);
    if (!existsSync(f)) throw new UsageError(`${relative(projectRoot, f)} does not exist: run minigrid build first`);
  }
  let faults: ReturnType<typeof loadFaultFile> = [];
  if (values.faults) {
    const file = values.faults as string;
    if (!existsSync(file)) throw new UsageError(`--faults ${file} does not exist; give a fault script (JSON or YAML, e.g. sim/faults/pipeline-day.yaml)`);
    try {
      faults = loadFaultFile(file, untilMs);
    } catch (e) {
      // a mistake in the script: its entry, key and fix, without a stack
      throw new UsageError((e as Error).message);
    }
  }
  if (broker && faults.some((f) => f.action.what === "gateway-down" || f.action.what === "clock-jump")) throw new UsageError("gateway-down and clock-jump faults need the embedded gateway; leave out --gateway");
  const update = updatePlan(values, specs, faults, untilMs, broker !== undefined, workers);
  return { specs, untilMs, drainMs, speed, workers, faults, broker, db, update };
}

/** The fleet update of --update, checked before anything starts. */
function updatePlan(values: Values, specs: ReplayPlan["specs"], faults: ReplayPlan["faults"], untilMs: number, external: boolean, workers: number): ReplayUpdate | undefined {
  const rest = ["update-at", "wave-share", "max-failure-share", "force"].filter((k) => values[k] !== undefined);
  if (values.update === undefined) {
    if (rest.length) throw new UsageError(`--${rest[0]} goes with --update FILE`);
    return undefined;
  }
  if (external) throw new UsageError("--update needs the embedded gateway (the rollout runs in it on virtual time); leave out --gateway");
  if (workers > 0) throw new UsageError("--update runs the sites in this thread; leave out --workers");
  const file = values.update as string;
  let image: string;
  try {
    image = readFileSync(file, "latin1");
  } catch (e) {
    throw new UsageError(`--update ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : (e as Error).message}; give a built image (minigrid build writes dist/firmware/<board>.js)`);
  }
  let board: string;
  try {
    board = readImage(image).board;
  } catch (e) {
    throw new UsageError(`--update ${file}: ${(e as Error).message}`);
  }
  for (const s of specs) {
    if (s.board !== board) throw new UsageError(`--update ${file} is built for ${board}, but the sites are ${s.board}; give "board": "${board}" in the site description`);
    if (!updatable(findBoard(s.board)!)) throw new UsageError(`--update: ${s.board} has no room for two images (docs/updates.md "Room"); only the ESP32 is updated over the air`);
    s.updatable = true;
  }
  const share = (k: string, d: number, min0: boolean) => {
    const v = values[k] === undefined ? d : Number(values[k]);
    if (!(v >= 0 && v <= 1) || (!min0 && v === 0)) throw new UsageError(`--${k} takes a share ${min0 ? "from 0" : "above 0,"} to 1 (got '${values[k]}')`);
    return v;
  };
  let atMs: number;
  try {
    atMs = parseDurationMs((values["update-at"] as string | undefined) ?? "30m", "--update-at");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (atMs >= untilMs) throw new UsageError(`--update-at must come before --until (${atMs / 60_000} min is not before ${untilMs / 60_000} min)`);
  // the gateway keeps its updates in memory, as a real one does: a restart during the rollout would lose it
  if (faults.some((f) => f.action.what === "gateway-down" && f.atMs >= atMs)) throw new UsageError("--update: a gateway-down fault at or after --update-at would restart the gateway under its rollout, whose state it keeps in memory; move the fault before the update");
  return { atMs, image, waveShare: share("wave-share", 0.25, false), maxFailureShare: share("max-failure-share", 0, true), force: values.force === true };
}

export async function runSimReplay(values: Values): Promise<number> {
  const p = plan(values);
  if (p.broker) {
    try {
      await probeTcp(p.broker.host, p.broker.port);
    } catch (e) {
      console.error(`minigrid sim replay: cannot reach the gateway's broker at ${p.broker.url} (${connectFailure(e)}); start the gateway there, or leave out --gateway to replay against an embedded one`);
      return 1;
    }
  }
  const ledger = new StoreLedger();
  let gateway: EmbeddedGateway | undefined;
  if (!p.broker) {
    try {
      gateway = await EmbeddedGateway.start({ dbPath: p.db, commands: p.update !== undefined, onStored: (n) => ledger.onAcknowledged(n) });
    } catch (e) {
      console.error(`minigrid sim replay: the embedded gateway did not start: ${(e as Error).message}`);
      return 1;
    }
  }
  try {
    return await replayAndReport(p, values, ledger, gateway);
  } finally {
    // a temporary database goes with its folder; one given with --db stays
    await gateway?.close();
  }
}

async function replayAndReport(p: ReplayPlan, values: Values, ledger: StoreLedger, gateway: EmbeddedGateway | undefined): Promise<number> {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const result = await runReplay({
    specs: p.specs, untilMs: p.untilMs, drainMs: p.drainMs, speed: p.speed, faults: p.faults, gateway, broker: p.broker, ledger, workers: p.workers, update: p.update,
    onProgress: (pr) => {
      if (tty) process.stderr.write(`\r${progressLine(pr)}\x1b[K`);
      else if (pr.done || Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        process.stderr.write(progressLine(pr) + "\n");
      }
    },
  });
  if (tty) process.stderr.write("\n");
  await gateway?.down();
  const dbPath = gateway?.dbPath ?? p.db;
  const temporary = gateway?.tempDir !== undefined;
  let rows: StoreLedgerRow[] | undefined;
  if (dbPath) rows = ledger.rows(dbPath);
  const produced = ledger.producedCount();
  // the embedded gateway's stored batches, or against an external gateway the batches the nodes had a PUBACK for
  const acknowledged = ledger.acknowledgedCount();
  const database = temporary ? null : dbPath ?? null;
  const summary = { sites: p.specs.length, virtual_s: result.virtualMs / 1000, real_s: result.realMs / 1000, speed_x: Math.round(result.virtualMs / Math.max(1, result.realMs)), resets: result.resets, reconnects: result.reconnects, replyTimeouts: result.replyTimeouts, database };
  const update = result.update;
  if (values.json) console.log(JSON.stringify({ ...summary, ledger: rows ?? null, accounted: rows ? ledgerAccount(rows) : null, produced, acknowledged, ...(update ? { update } : {}) }, null, 2));
  else {
    console.log(rows ? formatLedger(rows) : `ledger: ${produced} batches produced, ${acknowledged} acknowledged (the nodes had their PUBACK); stored unknown (give --db with the gateway's database)`);
    const where = temporary ? "database removed (temporary; --db FILE keeps it)" : `database ${dbPath ?? "-"}`;
    console.log(`${summary.sites} site(s), ${(summary.virtual_s / 3600).toFixed(1)} h virtual in ${summary.real_s.toFixed(1)} s (x${summary.speed_x}), ${summary.resets} resets, ${summary.reconnects} reconnects (${summary.replyTimeouts} after a reply timeout); ${where}`);
    if (update) console.log(formatUpdate(update));
  }
  if (produced > 0 && acknowledged === 0) {
    console.error(`minigrid sim replay: none of the ${produced} batches produced was acknowledged${p.broker ? ` by the broker at ${p.broker.url}` : ""}; check that the gateway runs and lets these nodes in (demo mode, or their logins)`);
    return 1;
  }
  const updateOk = !update || update.updated === update.rollout?.waves.flat().length;
  if (!updateOk) console.error(`minigrid sim replay: the fleet update did not update every node (${update!.rollout?.why ?? update!.rollout?.state ?? "the run ended before it began"})`);
  if (!rows) return updateOk ? 0 : 1;
  const v = ledgerVerdict(rows);
  if (!v.ok) console.error(`minigrid sim replay: ${v.lost} batch(es) lost, ${v.duplicated} stored twice`);
  const queued = rows.reduce((a, r) => a + r.queued, 0);
  if (queued > 0) console.error(`minigrid sim replay: ${queued} batch(es) still queued in the nodes' flash (not lost); a longer --drain lets them out`);
  return v.ok && updateOk ? 0 : 1;
}

/** The fleet update's lines under the ledger: its counts, its waves, each node's outcome. */
export function formatUpdate(u: ReplayUpdateResult): string {
  const r = u.rollout;
  const lines = [`fleet update to ${u.version}: ${u.updated} updated, ${u.rolledBack} rolled back, ${u.failed} failed, ${u.refused} refused, ${u.notReached} not reached`];
  if (!r) return lines.concat("  the run ended before the rollout's instant").join("\n");
  const took = u.virtual_s === undefined ? "still running when the run ended" : `took ${(u.virtual_s / 60).toFixed(1)} min virtual, ${u.real_s!.toFixed(1)} s real`;
  lines.push(`  rollout ${r.state}${r.why ? ` (${r.why})` : ""}, ${r.waves.length} wave(s), ${took}`);
  r.waves.forEach((w, i) => {
    const each = w.map((k) => {
      const o = r.outcome[k];
      const n = u.nodes.find((x) => `${x.site}/${x.node}` === k);
      const begins = n && n.begins > 1 ? `, taken up ${n.begins - 1} time(s)` : "";
      return `${k} ${o ? o.state + (o.why ? ` (${o.why})` : "") : n ? n.state : "not reached"}${begins}`;
    });
    lines.push(`  wave ${i + 1}: ${each.join("; ")}`);
  });
  return lines.join("\n");
}

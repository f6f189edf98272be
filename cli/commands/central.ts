import { readFileSync } from "node:fs";
import { Command, UsageError } from "../command";
import { connectFailure } from "../net-errors";
import { Central } from "../../central/service";

const usage = `Usage: minigrid central --broker URL --database URL [options]

Runs one central ingest instance: reads every gateway's uplink from the central MQTT broker (cluster) with the
MQTT 5 shared subscriptions $share/<group>/mgc/v1/# and .../mgc/v2/# (batches in columns; docs/central.md),
drops repeats by (site, node, boot, seq), writes to
PostgreSQL (TimescaleDB hypertables when the extension is installed) and serves the gateway's read API for all
sites. Start more instances with the same --group and a different --client-id to share the load.

Options:
  --broker URL       central broker, e.g. mqtts://mq.example.org:8883
  --database URL     PostgreSQL, e.g. postgres://ingest:secret@db.example.org/minigrid
  --group NAME       shared-subscription group (default: ingest)
  --client-id ID     this instance's MQTT client id, stable across restarts (default: central-<hostname>-1)
  --username U       MQTT user name      --password P   MQTT password (or MINIGRID_CENTRAL_PASSWORD)
  --ca FILE          PEM CA of the broker   --cert FILE / --key FILE   client certificate
  --session-expiry S keep this instance's session S seconds while it is away (default 604800; 0 = clean
                     session, for mosquitto: see docs/central.md)
  --http HOST:PORT   serve the API (e.g. 127.0.0.1:8090); --token T (or MINIGRID_CENTRAL_TOKEN) to require it
  --cors ORIGINS     web pages on these origins may call the API: comma-separated scheme://host[:port]
                     (e.g. https://grafana.example.org); "*" only with --token
  -h, --help         show this help`;

export const centralCommand: Command = {
  name: "central",
  usage,
  options: {
    broker: { type: "string" },
    database: { type: "string" },
    group: { type: "string" },
    "client-id": { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    ca: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    http: { type: "string" },
    "session-expiry": { type: "string" },
    token: { type: "string" },
    cors: { type: "string" },
  },
  async run(v) {
    const s = (k: string) => v[k] as string | undefined;
    const broker = s("broker");
    const database = s("database");
    if (!broker) throw new UsageError("--broker is required\nSee: minigrid central --help");
    if (!database) throw new UsageError("--database is required\nSee: minigrid central --help");
    let http: { host: string; port: number; token?: string; cors?: { origins: string[] } } | undefined;
    if (s("http")) {
      const m = /^(.+):(\d+)$/.exec(s("http")!);
      if (!m) throw new UsageError("--http must be HOST:PORT, e.g. 127.0.0.1:8090");
      http = { host: m[1], port: Number(m[2]), token: s("token") ?? process.env.MINIGRID_CENTRAL_TOKEN };
    }
    if (s("cors") !== undefined) {
      if (!http) throw new UsageError("--cors needs --http HOST:PORT (the API it applies to)");
      const origins = s("cors")!.split(",").map((o) => o.trim());
      const bad = origins.find((o) => !/^(\*|https?:\/\/[^/\s]+)$/.test(o));
      if (bad !== undefined) throw new UsageError(`--cors: '${bad}' is not an origin; give scheme://host[:port] without a path, e.g. https://grafana.example.org`);
      if (origins.includes("*") && !http.token) throw new UsageError('--cors "*" lets any web page read the API; give --token too, or list the origins');
      http.cors = { origins };
    }
    const expiry = s("session-expiry");
    if (expiry !== undefined && !/^\d+$/.test(expiry)) throw new UsageError("--session-expiry must be whole seconds, e.g. 604800 or 0");
    if (!/^(mqtts?|tcp|tls|wss?):\/\/[^/]/.test(broker)) throw new UsageError(`--broker: '${broker}' is not a broker URL; give mqtts://HOST:PORT (or mqtt://, tcp://, tls://, ws://, wss://)`);
    checkDatabaseUrl(database);
    const file = (k: string) => {
      const path = s(k);
      if (!path) return undefined;
      try {
        return readFileSync(path);
      } catch (e) {
        throw new UsageError(`--${k} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}; give the PEM file's path`);
      }
    };
    const { hostname } = await import("node:os");
    const central = new Central({
      broker,
      database,
      group: s("group") ?? "ingest",
      clientId: s("client-id") ?? `central-${hostname()}-1`,
      username: s("username"),
      password: s("password") ?? process.env.MINIGRID_CENTRAL_PASSWORD,
      ca: file("ca"),
      cert: file("cert"),
      key: file("key"),
      http,
      sessionExpiry_s: expiry === undefined ? undefined : Number(expiry),
      log: (line) => console.error(line),
    });
    try {
      await central.start();
    } catch (e) {
      await central.stop().catch(() => {});
      console.error(`minigrid central: cannot start: ${startFailure(e, broker, database)}`);
      return 1;
    }
    console.log(`minigrid central: ${broker} group ${s("group") ?? "ingest"}; database ${central.timescale ? "with TimescaleDB" : "plain PostgreSQL"}${http ? "; API " + central.httpUrl : ""}; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      const on = () => {
        process.off("SIGINT", on);
        process.off("SIGTERM", on);
        resolve();
      };
      process.on("SIGINT", on);
      process.on("SIGTERM", on);
    });
    const c = central.ingest!.counters;
    await central.stop();
    console.log(`minigrid central: stopped; ${c.messages} messages, ${c.batches} batches stored, ${c.duplicates} repeats dropped`);
    return 0;
  },
};

/** A PostgreSQL connection string pg can read: postgres[ql]://..., or socket:/path for a unix socket. */
function checkDatabaseUrl(database: string): void {
  const fix = "give postgres://USER:PASSWORD@HOST:PORT/DATABASE (or socket:/run/postgresql?db=DATABASE)";
  if (database.startsWith("socket:") || database.startsWith("/")) return;
  let u: URL;
  try {
    u = new URL(database);
  } catch {
    throw new UsageError(`--database: '${redact(database)}' is not a URL; ${fix}`);
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new UsageError(`--database: ${u.protocol}// is not PostgreSQL; ${fix}`);
  if (!u.hostname && !u.searchParams.get("host")) throw new UsageError(`--database: no host in '${redact(database)}'; ${fix}`);
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1****@");
}

/** Why the start failed, naming the part (database or broker) and the fix. */
function startFailure(e: unknown, broker: string, database: string): string {
  const err = e as NodeJS.ErrnoException & { part?: "database" | "broker" };
  const pgCode = typeof err?.code === "string" && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  if (err?.part === "broker") {
    if (err.code) return `cannot reach the broker at ${broker} (${connectFailure(e)}); check that it runs there, or correct --broker`;
    return `the broker at ${broker} refused: ${err.message}; check --username, --password and the certificates`;
  }
  if (pgCode === "28P01" || pgCode === "28000") return `the database at ${redact(database)} refused the login (${err.message}); check the user and password in --database`;
  if (pgCode === "3D000") return `${err.message} at ${redact(database)}; create it (createdb) or name an existing one in --database`;
  if (pgCode) return `the database at ${redact(database)}: ${err.message}`;
  return `cannot reach the database at ${redact(database)} (${connectFailure(e)}); check that PostgreSQL runs there, or correct --database`;
}

import { linkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { Command, UsageError, didYouMean, intOption, type Values } from "../command";
import { hashPassword } from "../../gateway/config/password";
import { checkConfig, defaultConfig, loadConfigFile, type GatewayConfig } from "../../gateway/config/load";
import { gatewayConfigSections } from "../../gateway/config/sections";
import { checkNodeNames, initDefaults, initialSettings, parseNodeName, type NodeName } from "../../gateway/config/init";
import { SettingsError } from "../../gateway/config/settings-error";

const usage = `Usage: minigrid gateway [--config FILE]
       minigrid gateway init FILE --node SITE/NODE [--node SITE/NODE ...] [--force] [init options]
       minigrid gateway check-config FILE
       minigrid gateway hash-password [PASSWORD]

Runs the site gateway: the MQTT broker the controllers connect to (embedded by default, or an external one),
ingest into SQLite, liveness of the nodes. Without --config it starts with the defaults: broker on
127.0.0.1:1883, database ./data/minigrid.db, HTTP on 127.0.0.1:8080, demo mode off (so no controller can log in
until it is listed under nodes). Stops cleanly on Ctrl-C / SIGTERM: commits what it holds, closes the database.

Subcommands:
  init FILE                write a first settings file for a site: a random API token and a login per --node with
                           a random password, printed once here and kept in the file only as its scrypt hash
  check-config FILE        check a settings file (YAML or JSON) and print every error with its fix
  hash-password [PASSWORD] print the passwordHash for a node's settings (reads the password from stdin if omitted)

Options:
  --config FILE   settings file (YAML or JSON)
  -h, --help      show this help

Init options:
  --node SITE/NODE   a controller's login (user name SITE-NODE, client id SITE.NODE); repeat for each node
  --force            replace FILE when it exists (its logins and token are lost: every node needs its new password)
  --broker-host ADDR the address the controllers connect to (default ${initDefaults.brokerHost}: every address of this PC)
  --broker-port N    the broker's TCP port (default ${initDefaults.brokerPort})
  --http-host ADDR   the API and dashboard's address (default ${initDefaults.httpHost})
  --http-port N      the API and dashboard's port (default ${initDefaults.httpPort})
  --db FILE          the SQLite database (default ${initDefaults.dbPath})`;

const initOnly = ["node", "force", "broker-host", "broker-port", "http-host", "http-port", "db"] as const;

/** Writes `text` to `file` readable by its owner only, never over an existing file unless `force`, never half. */
function writePrivate(file: string, text: string, force: boolean): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o600, flag: "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`cannot write ${file}: the folder ${dirname(file)} does not exist; create it first (sudo install -d -m 750 -o root -g minigrid ${dirname(file)})`);
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw new UsageError(`cannot write ${file}: ${code === "EROFS" ? "a read-only file system" : "permission denied"}; run it as a user that may write ${dirname(file)} (sudo)`);
    throw e;
  }
  try {
    if (force) renameSync(temp, file);
    else linkSync(temp, file); // fails when the file exists, where a check before writing could race
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new UsageError(`${file} exists; it holds the site's logins and token. Give another FILE, or --force to replace it (every node then needs its new password)`);
    throw e;
  } finally {
    rmSync(temp, { force: true });
  }
}

function init(file: string | undefined, values: Values): number {
  if (!file) throw new UsageError("init needs a FILE, e.g. minigrid gateway init /etc/minigrid/gateway.yaml --node kisumu-1/inverter");
  const names = (values.node as string[] | undefined) ?? [];
  if (names.length === 0) throw new UsageError("init needs at least one --node SITE/NODE, e.g. --node kisumu-1/inverter (repeat for each controller)");
  const nodes: NodeName[] = [];
  const errors: string[] = [];
  for (const text of names) {
    const n = parseNodeName(text);
    if (typeof n === "string") errors.push(n);
    else nodes.push(n);
  }
  errors.push(...checkNodeNames(nodes));
  if (errors.length) throw new UsageError(errors.join("\n"));
  const opts = {
    nodes,
    brokerHost: (values["broker-host"] as string | undefined) ?? initDefaults.brokerHost,
    brokerPort: intOption(values, "broker-port", initDefaults.brokerPort, 1, 65535),
    httpHost: (values["http-host"] as string | undefined) ?? initDefaults.httpHost,
    httpPort: intOption(values, "http-port", initDefaults.httpPort, 1, 65535),
    dbPath: resolve((values.db as string | undefined) ?? initDefaults.dbPath),
  };
  const { text, logins } = initialSettings(opts);
  // what init writes, check-config accepts: a mistake here (the API on the broker's port) is refused unwritten
  const checked = checkConfig(parseYaml(text), gatewayConfigSections);
  if (!checked.ok) throw new UsageError(`these settings would not start:\n  ${checked.errors.join("\n  ")}`);
  writePrivate(file, text, values.force === true);
  const w = (k: string, rows: string[]) => Math.max(k.length, ...rows.map((r) => r.length));
  const ws = w("site", logins.map((l) => l.site));
  const wn = w("node", logins.map((l) => l.node));
  const wu = w("broker.user", logins.map((l) => l.username));
  console.log(`minigrid gateway init: wrote ${file} (readable by its owner only): ${logins.length} node login(s), an API token, database ${opts.dbPath}`);
  console.log("Each node's password is shown this once: the file keeps only its hash. Put them into the nodes' settings");
  console.log("(minigrid settings init ... then broker.user and broker.pass; docs/provisioning.md):");
  console.log("");
  console.log(`  ${"site".padEnd(ws)}  ${"node".padEnd(wn)}  ${"broker.user".padEnd(wu)}  broker.pass`);
  for (const l of logins) console.log(`  ${l.site.padEnd(ws)}  ${l.node.padEnd(wn)}  ${l.username.padEnd(wu)}  ${l.password}`);
  console.log("");
  console.log(`The API token is in the file (http.token). Next: minigrid gateway check-config ${file}`);
  return 0;
}

function load(file: string | undefined): GatewayConfig {
  if (!file) return defaultConfig(gatewayConfigSections);
  const r = loadConfigFile(file, gatewayConfigSections);
  if (!r.ok) throw new UsageError(`${file} has ${r.errors.length} error(s):\n  ${r.errors.join("\n  ")}`);
  return r.config;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

async function run(config: GatewayConfig): Promise<number> {
  // the gateway itself (broker, database, HTTP) is loaded only to run it, not to check or write its settings
  const { startGatewayService } = await import("../../gateway/service");
  let started: Awaited<ReturnType<typeof startGatewayService>>;
  try {
    started = await startGatewayService(config, (l) => console.log(l));
  } catch (e) {
    // a settings problem found only at start (a port taken, a file it cannot read): the key and the fix, no stack
    if (!(e instanceof SettingsError)) throw e;
    console.error(`minigrid gateway: cannot start: ${e.message}`);
    return 1;
  }
  const { gateway, url } = started;
  const c = config;
  console.log(`minigrid gateway: broker ${c.broker.mode} ${gateway.brokerUrl}; database ${c.storage.path}; API and dashboard ${url}${c.demo ? "; DEMO MODE: anonymous controllers allowed" : ""}`);
  console.log(`minigrid gateway: ${c.nodes.length} node(s) configured; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      console.log(`minigrid gateway: ${sig}: stopping`);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await gateway.stop();
  const s = gateway.counters.snapshot();
  console.log(`minigrid gateway: stopped; ${s.batchesStored} batches stored, ${s.duplicates} duplicates, ${Object.values(s.rejects).reduce((a, b) => a + b, 0)} rejected`);
  return 0;
}

export const gatewayCommand: Command = {
  name: "gateway",
  usage,
  options: {
    config: { type: "string" },
    node: { type: "string", multiple: true },
    force: { type: "boolean" },
    "broker-host": { type: "string" },
    "broker-port": { type: "string" },
    "http-host": { type: "string" },
    "http-port": { type: "string" },
    db: { type: "string" },
  },
  allowPositionals: true,
  subcommands: ["init", "check-config", "hash-password"],
  async run(values, positionals) {
    const [sub, arg, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected ${rest.join(" ")}\nSee: minigrid gateway --help`);
    if (sub === "init") return init(arg, values);
    const misplaced = initOnly.filter((k) => values[k] !== undefined);
    if (misplaced.length) throw new UsageError(`${misplaced.map((k) => "--" + k).join(", ")}: only for minigrid gateway init\nSee: minigrid gateway --help`);
    if (sub === "check-config") {
      const file = arg ?? (values.config as string | undefined);
      if (!file) throw new UsageError("check-config needs a FILE\nSee: minigrid gateway --help");
      const r = loadConfigFile(file, gatewayConfigSections);
      if (!r.ok) {
        console.error(`${file} has ${r.errors.length} error(s):\n  ${r.errors.join("\n  ")}`);
        return 1;
      }
      console.log(`${file}: ok (broker ${r.config.broker.mode}, ${r.config.nodes.length} node(s), database ${r.config.storage.path})`);
      return 0;
    }
    if (sub === "hash-password") {
      const pw = arg ?? (await readStdin());
      if (!pw) throw new UsageError("hash-password needs a password (argument or stdin)");
      console.log(hashPassword(pw));
      return 0;
    }
    if (sub !== undefined) throw new UsageError(`unknown subcommand '${sub}'${didYouMean(sub, gatewayCommand.subcommands ?? [])}\nSee: minigrid gateway --help`);
    return run(load(values.config as string | undefined));
  },
};

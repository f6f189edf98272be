import { Command, UsageError, didYouMean } from "../command";
import { hashPassword } from "../../gateway/config/password";
import { defaultConfig, loadConfigFile, type GatewayConfig } from "../../gateway/config/load";
import { gatewayConfigSections } from "../../gateway/config/sections";
import { SettingsError } from "../../gateway/config/settings-error";

const usage = `Usage: minigrid gateway [--config FILE]
       minigrid gateway check-config FILE
       minigrid gateway hash-password [PASSWORD]

Runs the site gateway: the MQTT broker the controllers connect to (embedded by default, or an external one),
ingest into SQLite, liveness of the nodes. Without --config it starts with the defaults: broker on
127.0.0.1:1883, database ./data/minigrid.db, HTTP on 127.0.0.1:8080, demo mode off (so no controller can log in
until it is listed under nodes). Stops cleanly on Ctrl-C / SIGTERM: commits what it holds, closes the database.

Subcommands:
  check-config FILE        check a settings file (YAML or JSON) and print every error with its fix
  hash-password [PASSWORD] print the passwordHash for a node's settings (reads the password from stdin if omitted)

Options:
  --config FILE   settings file (YAML or JSON)
  -h, --help      show this help`;

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
  // the gateway itself (broker, database, HTTP) is loaded only to run it, not to check its settings
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
  options: { config: { type: "string" } },
  allowPositionals: true,
  subcommands: ["check-config", "hash-password"],
  async run(values, positionals) {
    const [sub, arg, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected ${rest.join(" ")}\nSee: minigrid gateway --help`);
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

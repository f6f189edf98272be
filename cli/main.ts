// `minigrid <command>`: a command's module (and what it imports: the firmware compiler, the gateway, the simulator)
// is loaded only when that command runs. The overview, --version and a mistyped command are answered by
// cli/catalog.mjs, which bin/minigrid.mjs consults before it loads any TypeScript.
import { Command, UsageError, parseCommandArgs } from "./command";
import { catalog, quickAnswer } from "./catalog.mjs";

export const commands = catalog;

const loaders: Record<string, () => Promise<Command>> = {
  start: async () => (await import("./commands/start")).startCommand,
  build: async () => (await import("./commands/build")).buildCommand,
  flash: async () => (await import("./commands/flash")).flashCommand,
  provision: async () => (await import("./commands/provision")).provisionCommand,
  settings: async () => (await import("./commands/settings")).settingsCommand,
  sim: async () => (await import("./commands/sim")).simCommand,
  decode: async () => (await import("./commands/decode")).decodeCommand,
  node: async () => (await import("./commands/node")).nodeCommand,
  bench: async () => (await import("./commands/bench")).benchCommand,
  gateway: async () => (await import("./commands/gateway")).gatewayCommand,
  central: async () => (await import("./commands/central")).centralCommand,
};

/** The command named `name`, loaded now (each catalog entry has a loader: test/cli/cli-start.test.ts). */
export function loadCommand(name: string): Promise<Command> {
  const load = loaders[name];
  if (!load) throw new Error(`cli/main.ts has no loader for the command '${name}' listed in cli/catalog.mjs`);
  return load();
}

export async function main(argv: string[]): Promise<number> {
  const quick = quickAnswer(argv, { out: (s) => console.log(s), err: (s) => console.error(s) });
  if (quick !== undefined) return quick;
  const [name, ...rest] = argv;
  const command = await loadCommand(name);
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      console.log(command.usageFor?.(positionals) ?? command.usage);
      return 0;
    }
    return await command.run(values, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`minigrid ${command.name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

import { Command, UsageError, parseCommandArgs } from "./command";
import { buildCommand } from "./commands/build";
import { flashCommand } from "./commands/flash";
import { benchCommand } from "./commands/bench";
import { simCommand } from "./commands/sim";
import { startCommand } from "./commands/start";
import { gatewayCommand } from "./commands/gateway";
import { decodeCommand } from "./commands/decode";
import { centralCommand } from "./commands/central";
import { nodeCommand } from "./commands/node";
import { provisionCommand } from "./commands/provision";
import { settingsCommand } from "./commands/settings";

export const commands: Command[] = [startCommand, buildCommand, flashCommand, provisionCommand, settingsCommand, simCommand, decodeCommand, nodeCommand, benchCommand, gatewayCommand, centralCommand];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "minigrid: telemetry for off-grid solar mini-grids",
    "",
    "Usage: minigrid <command> [options]   (minigrid <command> --help for each)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`minigrid: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      console.log(command.usage);
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

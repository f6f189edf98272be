import { parseArgs, ParseArgsConfig } from "node:util";

/** One subcommand of `minigrid`: its help text is written for the person at the terminal. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  allowPositionals?: boolean;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

export class UsageError extends Error {}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nSee: minigrid ${command.name} --help`);
  }
}

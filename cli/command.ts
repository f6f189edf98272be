import { parseArgs, ParseArgsConfig } from "node:util";
import { suggestion } from "./catalog.mjs";

export type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * One subcommand of `minigrid`: its help text is written for the person at the terminal. Its name and one-line
 * summary are in cli/catalog.mjs, which lists the commands without loading them.
 */
export interface Command {
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  allowPositionals?: boolean;
  /** The words allowed as the first positional, when the command has subcommands (for a suggestion when mistyped). */
  subcommands?: string[];
  /** The help of one subcommand (`minigrid sim replay --help`), given the positionals before --help; else `usage`. */
  usageFor?(positionals: string[]): string | undefined;
  run(values: Values, positionals: string[]): Promise<number>;
}

export class UsageError extends Error {}

/** "; did you mean 'check-config'?" when `word` is close to one of `known`, else "". */
export function didYouMean(word: string, known: readonly string[]): string {
  const s = suggestion(word, known);
  return s ? `; did you mean '${s}'?` : "";
}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (e) {
    // an unknown option: the closest known one, without node's advice on positionals that start with '-'
    const m = /^Unknown option '(--?[^']+)'/.exec((e as Error).message);
    if (m) {
      const near = suggestion(m[1].replace(/^-+/, ""), [...Object.keys(command.options), "help"]);
      throw new UsageError(`unknown option '${m[1]}'${near ? `; did you mean '--${near}'?` : ""}\nSee: minigrid ${command.name} --help`);
    }
    throw new UsageError(`${(e as Error).message}\nSee: minigrid ${command.name} --help`);
  }
}

/** An integer option within lo..hi, or the default; anything else is refused naming the option and the range. */
export function intOption(values: Values, key: string, fallback: number, lo: number, hi: number): number {
  const text = values[key];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (typeof text !== "string" || !/^\s*-?\d+\s*$/.test(text) || n < lo || n > hi) throw new UsageError(`--${key} takes a whole number ${lo}..${hi} (got '${String(text)}')`);
  return n;
}

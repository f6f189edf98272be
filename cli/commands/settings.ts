import { existsSync, writeFileSync } from "node:fs";
import { Command, UsageError, didYouMean } from "../command";
import { boards, findBoard } from "../../firmware/boards/index";
import type { Board } from "../../firmware/boards/types";
import { blanks, startingSettings } from "../settings/template";
import { loadSettingsFile } from "../settings/read";
import { summary } from "../settings/secrets";

const usages: { [sub: string]: string } = {
  init: `minigrid settings init --board NAME [--out FILE] [--force]
    Write a starting settings file for the board (default node.json): every field with a sensible default,
    the board's pins and addresses, and a "_help" object explaining each field (never sent to the board).
    Fill in what is left empty (site, node, broker address, Wi-Fi), remove the sensors that are not wired.`,
  check: `minigrid settings check --board NAME FILE
    Check a settings file against the board as flash and provision do, listing every problem with its key and
    the fix. Passwords are never printed.`,
};

function usage(sub?: string): string {
  const one = sub !== undefined && usages[sub] !== undefined;
  return `Usage: ${one ? usages[sub!].split("\n")[0] : "minigrid settings init|check --board NAME [ARGS] [options]"}

  ${(one ? [usages[sub!]] : Object.values(usages)).join("\n\n  ")}

docs/provisioning.md explains every field.

Options:
  --board NAME   ${boards.map((b) => b.id).join(", ")}
  --out FILE     init: where to write (default node.json)
  --force        init: replace an existing file
  -h, --help     show this help (minigrid settings help SUBCOMMAND for one)`;
}

function boardOf(values: Record<string, unknown>, sub: string): Board {
  const id = values.board as string | undefined;
  if (!id) throw new UsageError(`--board is required\n\n${usage(sub)}`);
  const board = findBoard(id);
  if (!board) throw new UsageError(`unknown board '${id}'; boards: ${boards.map((b) => b.id).join(", ")}`);
  return board;
}

export const settingsCommand: Command = {
  name: "settings",
  usage: usage(),
  options: {
    board: { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const [sub, ...rest] = positionals;
    if (sub === "help") {
      console.log(usage(rest[0]));
      return 0;
    }
    if (!sub || !usages[sub]) throw new UsageError(`${sub ? `unknown subcommand '${sub}'${didYouMean(sub, Object.keys(usages))}` : "which subcommand?"}\n\n${usage()}`);
    const board = boardOf(values, sub);
    if (sub === "init") {
      if (rest.length) throw new UsageError(`unexpected '${rest.join(" ")}'\n\n${usage("init")}`);
      const out = (values.out as string | undefined) ?? "node.json";
      if (existsSync(out) && values.force !== true) throw new UsageError(`${out} exists; give another --out, or --force to replace it`);
      writeFileSync(out, JSON.stringify(startingSettings(board), null, 2) + "\n", { mode: 0o600 });
      console.log(`wrote ${out}: the starting settings for the ${board.name}; fill in ${blanks(board).join(", ")}, then: minigrid settings check --board ${board.id} ${out}`);
      return 0;
    }
    if (rest.length !== 1) throw new UsageError(`give one settings FILE\n\n${usage("check")}`);
    const s = loadSettingsFile(rest[0], board, "");
    console.log(`${rest[0]} fits the ${board.id}: ${summary(s)}`);
    return 0;
  },
};

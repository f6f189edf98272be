// A settings file as the provisioning commands take it: read, parsed, checked against the board, and turned into
// the exact text that goes into the board's Storage (mg.settings), through a private temporary file for the
// espruino CLI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Board } from "../../firmware/boards/types";
import type { NodeSettings } from "../../firmware/app/node-settings";
import { UsageError } from "../command";
import { checkNodeSettings } from "./check";

/** Read and parse a settings file; a UsageError says where it is not JSON (never quoting it: passwords). */
export function readSettingsFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read the settings file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    // the parser's own message quotes the text around the fault, which may be a password: give only the place
    const at = /position (\d+)/.exec((e as Error).message);
    const where = at ? ` at line ${text.slice(0, Number(at[1])).split("\n").length}` : "";
    throw new UsageError(`${file} is not JSON${where}: check the quotes, commas and brackets there`);
  }
}

/** Read and check a settings file for `board`; a UsageError lists every problem with its key and fix. */
export function loadSettingsFile(file: string, board: Board, note = " (nothing was sent)"): NodeSettings {
  const r = checkNodeSettings(readSettingsFile(file), board);
  if (!r.ok) throw new UsageError(`${file} does not fit the ${board.id}${note}:\n  ${r.errors.join("\n  ")}`);
  return r.value;
}

/**
 * Without a board named: the settings must fit at least one of `candidates`; the first that fits is used. When
 * none does, the errors for the board they come nearest to fitting, and the advice to name the board.
 */
export function loadSettingsFileForAnyBoard(file: string, candidates: Board[]): { board: Board; settings: NodeSettings } {
  const raw = readSettingsFile(file);
  let best: { board: Board; errors: string[] } | undefined;
  for (const board of candidates) {
    const r = checkNodeSettings(raw, board);
    if (r.ok) return { board, settings: r.value };
    if (!best || r.errors.length < best.errors.length) best = { board, errors: r.errors };
  }
  throw new UsageError(`${file} fits none of the boards ${candidates.map((b) => b.id).join(", ")} (nothing was sent); ` +
    `for the ${best!.board.id}, the nearest:\n  ${best!.errors.join("\n  ")}\nName the board with --board to check against it alone.`);
}

/**
 * The text the board's Storage holds as mg.settings: the checked settings as compact JSON (UTF-8), stamped with a
 * settings version `sv` of the Unix time rounded down to an even second. The node loads the newer of its two
 * settings slots (firmware/app/node-settings.ts loadSettings) and saves one version up over the older; the stamp
 * makes what is provisioned newer than anything the node saved before, and being even it lands in this slot.
 */
export function settingsText(s: NodeSettings, unixSeconds = Date.now() / 1000): string {
  return JSON.stringify({ ...s, sv: 2 * Math.floor(unixSeconds / 2) });
}

/** The settings text in a file only this user can read, for the espruino CLI's --storage; remove() deletes it. */
export function privateSettingsFile(text: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "minigrid-settings-"));
  const path = join(dir, "mg.settings.json");
  writeFileSync(path, text, { encoding: "utf8", mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

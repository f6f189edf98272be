import { existsSync, mkdtempSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { tmpdir } from "node:os";
import { Command, UsageError, didYouMean } from "../command";
import { boards, findBoard } from "../../firmware/boards/index";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { replayOptions, replayUsage, runSimReplay } from "./sim-replay";

function parseDurationSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--for takes a duration like 90s, 15m, 6h or 1d; got '${text}'`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

const runUsage = `Usage: minigrid sim run --board NAME [--file FILE] [--settings FILE] [--for DURATION]
       minigrid sim replay ... (minigrid sim replay --help)

Loads the board's built file (dist/firmware/<board>.js, from minigrid build) into the virtual Espruino: a Node vm
with the interpreter's globals and without what it lacks, timers on a virtual clock that runs as fast as the CPU
allows, Storage with the board's flash size, and require("net") bridged to real TCP. Prints what the firmware
prints, then the variables it uses.

Options:
  --board NAME       ${boards.map((b) => b.id).join(", ")}
  --file FILE        run this file instead of the built one
  --settings FILE    linux board: the minigrid.json settings file to give it
  --for DURATION     virtual time to run: 90s, 15m, 6h, 1d (default 60s)
  -h, --help         show this help`;

export const simCommand: Command = {
  name: "sim",
  usage: `${runUsage}

${replayUsage}`,
  usageFor: (positionals) => (positionals[0] === "replay" ? replayUsage : positionals[0] === "run" ? runUsage : undefined),
  allowPositionals: true,
  options: { board: { type: "string" }, file: { type: "string" }, settings: { type: "string" }, for: { type: "string" }, ...replayOptions },
  async run(values, positionals) {
    if (positionals[0] === "replay") {
      if (positionals.length > 1) throw new UsageError(`unexpected ${positionals.slice(1).join(" ")}`);
      return runSimReplay(values);
    }
    if (positionals[0] !== "run")
      throw new UsageError(`expected 'minigrid sim run' or 'minigrid sim replay', got '${positionals.join(" ") || "(nothing)"}'${positionals[0] ? didYouMean(positionals[0], ["run", "replay"]) : ""}`);
    const board = findBoard((values.board as string) ?? "");
    if (!board) throw new UsageError(`--board must be one of: ${boards.map((b) => b.id).join(", ")}`);
    const file = (values.file as string | undefined) ?? join(firmwareOutDir, `${board.id}.js`);
    if (!existsSync(file)) throw new UsageError(`${relative(projectRoot, file)} does not exist: run minigrid build first`);
    const workDir = mkdtempSync(join(tmpdir(), "minigrid-sim-"));
    if (board.settingsFile) {
      if (values.settings) copyFileSync(values.settings as string, join(workDir, board.settingsFile));
      else writeFileSync(join(workDir, board.settingsFile), JSON.stringify({ site: "demo", node: "n1" }));
    }
    try {
      const seconds = parseDurationSeconds((values.for as string | undefined) ?? "60s");
      const esp = new VirtualEspruino({ board, workDir, onLog: (l) => console.log(l) });
      esp.loadFile(file);
      await esp.runFor(seconds * 1000);
      const used = esp.memoryUsage();
      console.error(`virtual time ${seconds}s; about ${used} of ${board.variables} variables in use; resets: ${esp.resets.join(", ")}`);
      return esp.halted && esp.halted !== "quit()" ? 1 : 0;
    } finally {
      rmSync(workDir, { recursive: true, force: true }); // the board's working folder: its settings file and flash
    }
  },
};

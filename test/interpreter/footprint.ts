// Variables a board's own file holds on the real interpreter in the budget's case (firmware/boards/types.ts): every
// driver on (board-standins.ts), its network joined, and a backlog queued, since no broker answers (the settings
// point at a closed port). The usage is read right after the firmware has pushed its BATCHES-th batch into the
// flash queue (the firmware tells the probe MG_PROBE of every push): a point in the program's life that does not
// depend on the machine's speed, where a time does (a slower machine had queued fewer batches after 8 s, its
// sensors were at another point of their cycle, and the figure moved by a hundred variables between two runs).
// The stand-ins alone, run the same way, are measured and subtracted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firmwareOutDir, projectRoot } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { allDriverSettings, boardStandins, storageWriter } from "./board-standins";
import { updatable } from "../../firmware/update/room";

/** Batches queued before the usage is first read. */
export const BATCHES = 12;
/** Pushes at which it is read, from the BATCHES-th on: the least is the figure. */
export const READINGS = 5;

const capture = resolve(projectRoot, "test/fixtures/real/vedirect/bvm702.dump");

// prints the usage after a garbage collection, then ends the run (E.reboot() exits the Linux build)
const print = 'var m = process.memory(true); print("FOOTPRINT " + m.usage + " " + m.total); E.reboot();';
// The usage right after each of READINGS pushes, the least of them printed. On a busy host the Linux build's timers
// run late and then in a burst, so at a single reading the stand-ins' answers and the firmware's timers could be
// piled up or not: the same program read 1,810 variables on an idle machine and 1,979 beside two other interpreters.
// The least of five readings is the program at rest, which is what a board keeps between its work.
const afterBatches = (n: number) =>
  `var MG_N = 0, MG_MIN = 1e9; var MG_PROBE = function (k) { if (k === "push" && ++MG_N >= ${n}) setTimeout(function () {
  var u = process.memory(true).usage; if (u < MG_MIN) MG_MIN = u;
  if (MG_N >= ${n + READINGS - 1}) { print("FOOTPRINT " + MG_MIN + " " + process.memory().total); E.reboot(); } }, 0); };\n`;
const afterTime = (ms: number) => `setTimeout(function () { ${print} }, ${ms});\n`;

function usage(writer: string, boot: string, folder: (dir: string) => void): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), "mg-footprint-"));
  try {
    folder(dir);
    const w = spawnSync(writer, ["writer.js"], { cwd: dir, encoding: "latin1", timeout: 30_000 });
    if (w.status !== 0) throw new Error(`writing Storage failed: ${w.stdout}${w.stderr}`);
    // -e "": the interpreter boots, which runs .boot0 (the stand-ins and the probe), then .bootcde. The run ends at
    // the FOOTPRINT line: E.reboot() from inside a callback tears the interpreter down with that callback's variables
    // still locked, and the Linux build then prints them all, slowly (half a minute for a board's program); sed
    // quits after the line, and the interpreter's next write ends it (SIGPIPE).
    const r = spawnSync("sh", ["-c", '"$0" -e "" | sed -u "/FOOTPRINT/q"', boot], { cwd: dir, encoding: "latin1", timeout: 60_000, killSignal: "SIGKILL" });
    const out = r.stdout ?? "";
    if (out.includes("OUT OF MEMORY")) return undefined;
    const m = /FOOTPRINT (\d+) \d+/.exec(out);
    return m ? Number(m[1]) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Footprint {
  /** Variables the board's program holds in the budget's case; undefined when it ran out of memory or crashed. */
  variables?: number;
  /** The stand-ins' own, subtracted. */
  standins?: number;
}

/**
 * The footprint of `boardId`'s built file, written to Storage with `writer` (an interpreter that may grow its
 * variables: a 24 KB program in 1 KB chunks) and booted with `boot` (e.g. the 5,100-variable build). A board with
 * room for updates over the air is laid out as minigrid flash leaves it: the program in image slot mg.fw0, the
 * update receiver as mg.rx and the boot loader as .bootcde (docs/updates.md); `extra` is code for .boot0 after the
 * stand-ins (an update under way).
 */
export function measureFootprint(boardId: string, writer: string, boot: string, settingsOver: Record<string, unknown> = {}, extra = ""): Footprint {
  const board = findBoard(boardId)!;
  const program = readFileSync(join(firmwareOutDir, `${boardId}.js`), "latin1");
  const settings = `require("Storage").writeJSON("mg.settings",${JSON.stringify(allDriverSettings(board, 1, "bench", settingsOver))});\n`;
  const standins = boardStandins(board, capture) + extra;
  const files = updatable(board)
    ? storageWriter(".bootcde", readFileSync(join(firmwareOutDir, "boot.js"), "latin1")) + storageWriter("mg.fw0", program) +
      storageWriter("mg.rx", readFileSync(join(firmwareOutDir, "receiver.js"), "latin1")) + `require("Storage").write("mg.cur","0");\n`
    : storageWriter(".bootcde", program);
  const base = usage(writer, boot, (dir) => writeFileSync(join(dir, "writer.js"), storageWriter(".boot0", standins + afterTime(1500)), "latin1"));
  const full = usage(writer, boot, (dir) =>
    writeFileSync(join(dir, "writer.js"), storageWriter(".boot0", standins + afterBatches(BATCHES)) + files + settings, "latin1"));
  return { variables: full !== undefined && base !== undefined ? full - base : undefined, standins: base };
}

import { rmSync } from "node:fs";
import { relative } from "node:path";
import { Command, UsageError } from "../command";
import { boards, findBoard } from "../../firmware/boards/index";
import type { BuiltFirmware } from "../build/compile-firmware";
import { projectRoot } from "../../contracts/paths";

const boardExports: Record<string, string> = { "espruino-wifi": "espruinoWifi", pico: "pico", esp32: "esp32", linux: "linux" };

/** Build the firmware for the given boards (all when none is named); throws when the bundle check finds problems. */
export async function buildFirmware(boardIds: string[], log: (line: string) => void = () => {}): Promise<BuiltFirmware[]> {
  const ids = boardIds.length > 0 ? boardIds : boards.map((b) => b.id);
  for (const id of ids) {
    if (!findBoard(id)) throw new UsageError(`unknown board '${id}'; boards: ${boards.map((b) => b.id).join(", ")}`);
  }
  // the compiler (TypeScript, esbuild, terser) is loaded only to build
  const { compileFirmwareToEs5, buildBoardFirmware, buildUpdateFiles } = await import("../build/compile-firmware");
  log("compiling firmware/ (TypeScript 5.9, ES5 output)...");
  const es5Dir = compileFirmwareToEs5();
  const built: BuiltFirmware[] = [];
  let updateProblems: BuiltFirmware["problems"] = [];
  try {
    // the boot loader and the update receiver of updatable boards (docs/updates.md)
    updateProblems = (await buildUpdateFiles(es5Dir)).problems;
    for (const [i, id] of ids.entries()) {
      log(`[${i + 1}/${ids.length}] bundling ${id}...`);
      const result = await buildBoardFirmware(es5Dir, id, boardExports[id]);
      built.push(result);
      log(`  ${relative(projectRoot, result.file)}  ${result.bytes} bytes  (debug ${result.debugBytes} bytes)`);
    }
  } finally {
    rmSync(es5Dir, { recursive: true, force: true });
  }
  const problems = built.flatMap((b) => b.problems).concat(updateProblems);
  if (problems.length > 0) {
    throw new Error(
      "the built firmware uses what the Espruino interpreter cannot run:\n" +
        problems.map((p) => `  ${relative(projectRoot, p.file)}:${p.line}:${p.column}  ${p.message}`).join("\n"),
    );
  }
  return built;
}

export const buildCommand: Command = {
  name: "build",
  usage: `Usage: minigrid build [--board NAME]... [--json]

Compiles firmware/ with TypeScript 5.9 (ES5), bundles with esbuild and minifies with terser (hoisting functions
and vars, which the Espruino interpreter does not do), then checks every file for syntax, globals and compiler
helpers the interpreter lacks. Writes dist/firmware/<board>.js and a readable dist/firmware/<board>.debug.js.

Options:
  --board NAME   build only this board (repeatable): ${boards.map((b) => b.id).join(", ")}
  --json         print the sizes as JSON
  -h, --help     show this help`,
  options: { board: { type: "string", multiple: true }, json: { type: "boolean" } },
  async run(values) {
    const json = values.json === true;
    const built = await buildFirmware((values.board as string[] | undefined) ?? [], json ? () => {} : (l) => console.log(l));
    if (json) console.log(JSON.stringify(Object.fromEntries(built.map((b) => [b.board, { bytes: b.bytes, debugBytes: b.debugBytes }]))));
    return 0;
  },
};

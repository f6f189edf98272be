// Each driver's share of the firmware (minified bytes through the firmware pipeline), and the VE.Direct parser's
// throughput inside the virtual Espruino and, where ESPRUINO_BIN is set, on the real interpreter.
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../contracts/paths";
import { bundleFirmwareProgram } from "../test/helpers/firmware-bundle";
import { VirtualEspruino } from "../sim/vm/espruino-vm";
import { findBoard } from "../firmware/boards/index";

function exportedNames(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const names = new Set<string>();
  for (const m of src.matchAll(/^export (?:const|function|class) ([A-Za-z_$][\w$]*)/gm)) names.add(m[1]);
  return [...names];
}

/** Minified bytes of a program that keeps every export of one driver module (and what it imports). */
async function driverBytes(module: string): Promise<number> {
  const names = exportedNames(join(projectRoot, "firmware", module + ".ts"));
  const code = await bundleFirmwareProgram(`import { ${names.join(", ")} } from "./${module}";\nKEEP = [${names.join(", ")}];\n`);
  return Buffer.byteLength(code);
}

function parseProgram(capture: Buffer, repeats: number): string {
  return (
    `var CAPTURE = ${JSON.stringify(capture.toString("latin1"))};\n` +
    `import { createVeDirectParser } from "./drivers/vedirect";\n` +
    `var blocks = 0, p = createVeDirectParser(function () { blocks++; });\n` +
    `for (var k = 0; k < ${repeats}; k++) for (var i = 0; i < CAPTURE.length; i += 64) p.push(CAPTURE.substr(i, 64));\n` +
    `console.log("BLOCKS " + blocks);\n`
  );
}

export async function bench(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const driverDir = join(projectRoot, "firmware", "drivers");
  const modules = readdirSync(driverDir).filter((f) => f.endsWith(".ts")).map((f) => "drivers/" + f.slice(0, -3));
  for (const m of modules) figures[`firmware.driverBytes.${m.slice("drivers/".length)}`] = await driverBytes(m);

  const capture = readFileSync(join(projectRoot, "test/fixtures/real/vedirect/bvm702.dump"));
  const repeats = 4;
  const code = await bundleFirmwareProgram(parseProgram(capture, repeats));
  const esp = new VirtualEspruino({ board: findBoard("pico")! });
  const t0 = process.hrtime.bigint();
  esp.load(code);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!esp.output.some((l) => l.startsWith("BLOCKS "))) throw new Error("VE.Direct bench program did not finish: " + esp.output.join("\n"));
  figures["vedirect.parse.bytesPerSecond.vm"] = Math.round((capture.length * repeats) / (ms / 1000));

  const bin = process.env.ESPRUINO_BIN;
  if (bin) {
    const dir = mkdtempSync(join(tmpdir(), "mg-bench-"));
    const time = async (n: number) => {
      const file = join(dir, `p${n}.js`);
      writeFileSync(file, await bundleFirmwareProgram(parseProgram(capture, n)));
      const s = process.hrtime.bigint();
      const r = spawnSync(bin, [file], { cwd: dir, encoding: "latin1", timeout: 300_000 });
      if (!/BLOCKS \d+/.test(r.stdout)) throw new Error("interpreter bench failed: " + r.stdout.slice(-500));
      return Number(process.hrtime.bigint() - s) / 1e6;
    };
    const base = await time(0);
    const one = await time(1);
    figures["vedirect.parse.bytesPerSecond.espruino"] = Math.round(capture.length / ((one - base) / 1000));
  } else {
    process.stderr.write("ESPRUINO_BIN is not set: no real-interpreter figures\n");
  }
  return figures;
}

// Variables (process.memory().usage) the built firmware costs on the real interpreter, loaded two ways:
//   footprint.vars.file.espruino      dist/firmware/linux.js run as a file on the command line (source and every
//                                     function body copied into RAM)
//   footprint.vars.bootcde.espruino   the same code written into Storage as `.bootcde` exactly as `minigrid flash`
//                                     has the espruino CLI do it (1024-byte chunks, offset and total size), then
//                                     load(".bootcde"): function bodies stay in flash
//   footprint.vars.boot.espruino      a second run in the same folder that only boots (the interpreter runs
//                                     `.bootcde` at start-up, as a board does at power-on)
//   footprint.bytes.release           the file's size, for reading the figures against
// Each figure is the usage a probe prints 300 ms after start (after a garbage collection), minus the usage of the
// probe alone loaded the same way. The firmware runs in a fresh folder whose minigrid.json points it at a closed
// port on 127.0.0.1 (it starts, cannot reach a broker, keeps retrying), inside try/catch, so a firmware that throws
// early or prints nothing still gives figures (of whatever it got to allocate). A figure the probe did not print
// (out of memory, crash) is left out and named on stderr.
// Runs only where ESPRUINO_BIN names the interpreter's Linux build.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firmwareOutDir } from "../cli/build/compile-firmware";

const DELAY_MS = 300;
// quit() is made harmless so that a firmware ending its own run does not end it before the probe; the probe ends
// the run itself (E.reboot() exits the Linux build) since the firmware may leave timers running.
const PROBE =
  "quit=function(){};setTimeout(function(){var m=process.memory(true);" +
  `print("FOOTPRINT "+m.usage+" "+m.total);E.reboot()},${DELAY_MS});`;

function wrapped(code: string): string {
  return PROBE + "try{\n" + code + "\n}catch(e){print('FOOTPRINT-ERROR '+e)}\n";
}

/** What the espruino CLI sends for `--storage .bootcde:-` (its saveOnSend plugin): chunks of 1024, then load(). */
function storageLoader(code: string): string {
  const J = JSON.stringify;
  const lines = [`require("Storage").write(".bootcde",${J(code.substr(0, 1024))},0,${code.length});`];
  for (let i = 1024; i < code.length; i += 1024) lines.push(`require("Storage").write(".bootcde",${J(code.substr(i, 1024))},${i});`);
  lines.push('load(".bootcde")');
  return lines.join("\n") + "\n";
}

// Settings for the Linux board (firmware/boards/linux.ts settingsFile): a broker nobody listens on.
const SETTINGS = JSON.stringify({ site: "bench", node: "bench", broker: { host: "127.0.0.1", port: 1 } });

function usage(bin: string, dir: string, args: string[]): number | undefined {
  writeFileSync(join(dir, "minigrid.json"), SETTINGS);
  const r = spawnSync(bin, args, { cwd: dir, encoding: "latin1", timeout: 20_000, killSignal: "SIGKILL" });
  const out = r.stdout ?? "";
  // After "OUT OF MEMORY" the usage is only what was left when the interpreter gave up: no figure.
  if (out.includes("OUT OF MEMORY")) return undefined;
  const m = /FOOTPRINT (\d+) \d+/.exec(out);
  return m ? Number(m[1]) : undefined;
}

/** Usage with the program loaded each way: file, .bootcde then load(), and a boot of what Storage holds. */
function measure(bin: string, code: string): { file?: number; bootcde?: number; boot?: number } {
  const fileDir = mkdtempSync(join(tmpdir(), "mg-footprint-"));
  const storeDir = mkdtempSync(join(tmpdir(), "mg-footprint-"));
  try {
    writeFileSync(join(fileDir, "program.js"), wrapped(code), "latin1");
    const file = usage(bin, fileDir, ["program.js"]);
    writeFileSync(join(storeDir, "loader.js"), storageLoader(wrapped(code)), "latin1");
    const bootcde = usage(bin, storeDir, ["loader.js"]);
    // -e runs the expression after the interpreter has booted, which runs `.bootcde` from espruino.flash.
    const boot = usage(bin, storeDir, ["-e", ""]);
    return { file, bootcde, boot };
  } finally {
    rmSync(fileDir, { recursive: true, force: true });
    rmSync(storeDir, { recursive: true, force: true });
  }
}

export async function bench(): Promise<Record<string, number>> {
  const bin = process.env.ESPRUINO_BIN;
  if (!bin) {
    process.stderr.write("ESPRUINO_BIN is not set: no interpreter footprint figures\n");
    return {};
  }
  let code: string;
  try {
    code = readFileSync(join(firmwareOutDir, "linux.js"), "latin1");
  } catch {
    process.stderr.write("dist/firmware/linux.js is missing (run `minigrid build`): no footprint figures\n");
    return {};
  }
  const base = measure(bin, "");
  const prog = measure(bin, code);
  const figures: Record<string, number> = { "footprint.bytes.release": Buffer.byteLength(code, "latin1") };
  for (const way of ["file", "bootcde", "boot"] as const) {
    const b = base[way];
    const p = prog[way];
    if (b === undefined || p === undefined) {
      process.stderr.write(`footprint: no figure for ${way} (the probe printed nothing: out of memory or a crash)\n`);
      continue;
    }
    figures[`footprint.vars.${way}.espruino`] = p - b;
  }
  return figures;
}

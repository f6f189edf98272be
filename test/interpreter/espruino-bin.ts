import { spawnSync } from "node:child_process";
import { prerequisites } from "../helpers/prerequisites";

/** The Espruino interpreter's Linux build, from ESPRUINO_BIN; tests that need it ask `needs("espruino")`. */
export const espruinoBin = prerequisites.espruino.find();
/** The build with a fixed pool of 5,100 variables (a Pico's), from ESPRUINO_BIN_5100 or ESPRUINO_BIN + "-5100". */
export const espruinoBin5100 = prerequisites["espruino-5100"].find();

/** Run a file on the interpreter in `cwd`; its banner and prompt noise are left in stdout. */
export function runEspruino(file: string, cwd: string, timeoutMs = 30_000) {
  const r = spawnSync(espruinoBin!, [file], { cwd, timeout: timeoutMs, encoding: "latin1" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut: r.error !== undefined };
}

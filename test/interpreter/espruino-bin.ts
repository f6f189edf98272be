import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The Espruino interpreter's Linux build, from ESPRUINO_BIN; tests that need it skip, saying why, without it. */
export const espruinoBin = process.env.ESPRUINO_BIN;

export const espruinoSkipReason = !espruinoBin
  ? "ESPRUINO_BIN is not set: the tests on the real Espruino interpreter are skipped (set it to the path of its Linux build)"
  : !existsSync(espruinoBin)
    ? `ESPRUINO_BIN=${espruinoBin} does not exist: the tests on the real Espruino interpreter are skipped`
    : undefined;

if (espruinoSkipReason) console.warn(espruinoSkipReason);

/** Run a file on the interpreter in `cwd`; its banner and prompt noise are left in stdout. */
export function runEspruino(file: string, cwd: string, timeoutMs = 30_000) {
  const r = spawnSync(espruinoBin!, [file], { cwd, timeout: timeoutMs, encoding: "latin1" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", timedOut: r.error !== undefined };
}

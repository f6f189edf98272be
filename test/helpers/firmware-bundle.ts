// Build a small program from firmware modules through the same pipeline as `minigrid build` (tsc ES5 -> esbuild ->
// terser with hoisting, then the bundle check), so that a test can run firmware code in the virtual Espruino or on
// the real interpreter exactly as a board would.
import { rmSync } from "node:fs";
import { compileFirmwareToEs5, bundleEs5, minifyForEspruino } from "../../cli/build/compile-firmware";
import { checkBundle } from "../../cli/build/check-bundle";

/**
 * `entrySource` is ES5 JavaScript (not compiled by tsc) that imports firmware modules by path relative to
 * firmware/, e.g. `import { createVeDirectParser } from "./drivers/vedirect"`. Returns the minified program;
 * throws if the bundle check finds anything the interpreter cannot run.
 */
export async function bundleFirmwareProgram(entrySource: string, opts: { debug?: boolean } = {}): Promise<string> {
  const es5Dir = compileFirmwareToEs5();
  try {
    const bundled = await bundleEs5(es5Dir, entrySource);
    const { release, debug } = await minifyForEspruino(bundled);
    const code = opts.debug ? debug : release;
    const problems = checkBundle(code, "test-program.js");
    if (problems.length > 0) throw new Error("test program uses what the interpreter cannot run:\n" + problems.map((p) => `${p.line}:${p.column} ${p.message}`).join("\n"));
    return code;
  } finally {
    rmSync(es5Dir, { recursive: true, force: true });
  }
}

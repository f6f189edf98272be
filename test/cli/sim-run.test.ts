// `minigrid sim run`: a built board file in the virtual Espruino for some virtual time, from the command line; the
// board's working folder (its settings file and flash) is removed when the run ends.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";

it("runs the Pico's file for 5 virtual seconds, reports its variables and leaves no folder behind", () => {
  const tmp = mkdtempSync(join(tmpdir(), "mg-sim-run-"));
  try {
    const r = spawnSync(process.execPath, [resolve(projectRoot, "bin/minigrid.mjs"), "sim", "run", "--board", "pico", "--for", "5s"], {
      cwd: projectRoot, encoding: "utf8", timeout: 120_000, env: { ...process.env, TMPDIR: tmp },
    });
    expect(r.stderr).toMatch(/virtual time 5s; about \d+ of 5100 variables in use; resets: power-on/);
    expect(readdirSync(tmp).filter((n) => !n.startsWith("tsx-"))).toEqual([]); // tsx keeps its compile cache there
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

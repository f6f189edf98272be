import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { firmwareOutDir } from "../../contracts/paths";
import { runEspruino } from "./espruino-bin";
import { needs } from "../helpers/prerequisites";

needs("espruino").describe("the linux firmware on the real Espruino interpreter", () => {
  it("loads, passes its self-test and exits 0", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-espruino-"));
    writeFileSync(join(dir, "minigrid.json"), JSON.stringify({ site: "ci", node: "n1", selfTest: true }));
    const r = runEspruino(join(firmwareOutDir, "linux.js"), dir);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toMatch(/SELFTEST OK passed=\d+ failed=0/);
    expect(r.status).toBe(0);
  });

  it("the readable debug build behaves the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-espruino-"));
    writeFileSync(join(dir, "minigrid.json"), JSON.stringify({ site: "ci", node: "n1", selfTest: true }));
    const r = runEspruino(join(firmwareOutDir, "linux.debug.js"), dir);
    expect(r.stdout).toMatch(/SELFTEST OK/);
    expect(r.status).toBe(0);
  });

  it("a failing self-test exits non-zero", () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-espruino-"));
    const file = join(dir, "bad.js");
    writeFileSync(file, 'console.log("start"); throw new Error("top-level failure");');
    const r = runEspruino(file, dir);
    expect(r.status).not.toBe(0);
  });
});

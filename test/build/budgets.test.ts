// Every board's file within its byte budget (firmware/boards/types.ts PROGRAM_BYTES_MAX; docs/footprint.md says
// why it is what it is). The files are the ones `minigrid build` wrote for this test run (test/global-setup.ts).
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { firmwareOutDir } from "../../contracts/paths";
import { boards } from "../../firmware/boards/index";
import { STORAGE_RESERVE_BYTES } from "../../firmware/boards/types";

describe("program bytes within each board's budget", () => {
  for (const b of boards) {
    it(`${b.id}: ${b.budget.programBytes} bytes at most`, () => {
      const bytes = statSync(join(firmwareOutDir, `${b.id}.js`)).size;
      expect(bytes, `${b.id}.js is ${bytes} bytes, over its budget of ${b.budget.programBytes}`).toBeLessThanOrEqual(b.budget.programBytes);
    });
  }

  it("a board's budget leaves its Storage room for the settings, the flash queue and compaction", () => {
    for (const b of boards) expect(b.budget.programBytes + 32, b.id).toBeLessThanOrEqual(b.storageBytes - STORAGE_RESERVE_BYTES);
  });
});

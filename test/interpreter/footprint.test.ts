// The variables budget on the real interpreter (firmware/boards/types.ts, docs/footprint.md): the Pico's own files
// (Ethernet and ESP8266) on the build with a Pico's fixed pool of 5,100 variables, and the other boards on the
// full build, each with every driver on, its network joined and a backlog queued (footprint.ts).
import { expect, it } from "vitest";
import { boards } from "../../firmware/boards/index";
import { needs } from "../helpers/prerequisites";
import { espruinoBin, espruinoBin5100 } from "./espruino-bin";
import { BATCHES, measureFootprint } from "./footprint";

for (const b of boards.filter((x) => x.id !== "linux")) {
  const pico = b.variables === 5100;
  needs(...(pico ? (["espruino", "espruino-5100"] as const) : (["espruino"] as const))).describe(`${b.id}: variables in use`, () => {
    it(`with every driver, its network and ${BATCHES} batches queued: at most ${b.budget.variables}${pico ? " of 5,100" : ""}`, () => {
      const f = measureFootprint(b.id, espruinoBin!, pico ? espruinoBin5100! : espruinoBin!);
      console.log(`${b.id}: ${f.variables} variables (stand-ins ${f.standins} subtracted), budget ${b.budget.variables}`);
      expect(f.variables, `${b.id} ran out of memory or printed no figure`).toBeDefined();
      expect(f.variables!).toBeLessThanOrEqual(b.budget.variables);
    }, 120_000);
  });
}

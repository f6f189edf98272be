// A power cut at every byte of an update (the staged image's file and chunks, the switch, the first boot's mark,
// the proof's commit) leaves a node that boots a working image, and the update, taken up again where the node
// stands as the gateway does, ends with the new image running and proved. Cuts land in the update's own writes,
// not in the interpreter's Storage compaction, as in the queue's proof (docs/firmware.md "Flash wear and power cuts").
import { describe, expect, it } from "vitest";
import { UpdateBoard, image } from "./update-env";

describe("an update under power cuts", () => {
  it("boots a working image after a cut at any byte, and the update completes when taken up again", async () => {
    const imgA = image("A", { okAfter_ms: 500 });
    const imgB = image("B", { okAfter_ms: 500, pad: 500 });
    let cuts = 0;
    for (let n = 0; ; n++) {
      const b = new UpdateBoard(imgA);
      await b.run(1000);
      b.vm.flash.armPowerCut(n, { spareCompaction: true });
      try {
        b.stage(imgB, 256);
      } catch (e) {
        // the cut ends the program in the middle of a write: what the receiver was doing never returns
        if (!b.vm.flash.poweredOff && !b.vm.resets.includes("power-cut")) throw e;
      }
      await b.run(2000);
      const cut = b.vm.resets.includes("power-cut");
      b.vm.flash.disarmPowerCut();
      if (!cut) break;
      cuts++;
      // the gateway begins again after the node's birth: at most one more staging is needed
      if (b.read("mg.cur") !== "1" && b.read("mg.try") === undefined) {
        expect(b.stage(imgB, 256), `cut after ${n} bytes`).toMatchObject({ ok: 1 });
        await b.run(2000);
      }
      // every boot ran an image to its first line, none stopped
      expect(b.vm.halted, `cut after ${n} bytes`).toBeUndefined();
      expect(b.vm.output.filter((l) => l.startsWith("image ")).length, `cut after ${n} bytes`).toBe(b.vm.resets.length);
      expect(b.running(), `cut after ${n} bytes`).toBe("B");
      expect(b.read("mg.cur"), `cut after ${n} bytes`).toBe("1");
      expect(b.read("mg.try"), `cut after ${n} bytes`).toBeUndefined();
      expect(b.read("mg.why"), `cut after ${n} bytes`).toBeUndefined();
    }
    // every byte the update writes: the staged file (header and image), mg.try, a boot mark, the proof's writes
    expect(cuts).toBeGreaterThan(imgB.length + 32 + 16);
  }, 120_000);
});

// The node's side of an update over the air on the virtual Espruino, with the built boot loader and update receiver
// (firmware/update/): staging, the switch at reboot, the proof (MG_OK), and the two ways back to the previous image.
import { describe, expect, it } from "vitest";
import { crc32 } from "../../sim/vm/crc32";
import { UpdateBoard, bootLoader, image } from "./update-env";
import * as files from "../../firmware/update/files";

describe("an update on the node", () => {
  it("stages in chunks, switches at reboot, and keeps the new image once it has proved itself", async () => {
    const b = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b.run(1000);
    expect(b.running()).toBe("A");
    const imgB = image("B", { okAfter_ms: 500, pad: 3000 });
    expect(b.stage(imgB)).toEqual({ have: imgB.length, ok: 1 });
    expect(b.read("mg.try")!.charAt(0)).toBe("1");
    await b.run(1000);
    expect(b.running()).toBe("B");
    expect(b.read("mg.cur")).toBe("1");
    expect(b.read("mg.try")).toBeUndefined();
    // the previous image stays until the next update; a reboot runs the new one again
    expect(b.read("mg.fw0")).toContain("image A");
    b.vm.evaluate("E.reboot()");
    await b.run(1000);
    expect(b.running()).toBe("B");
    expect(b.vm.resets.filter((r) => r === "reboot").length).toBe(2);
  });

  it("goes back to the previous image when the new one restarts on every boot, and says why", async () => {
    const b = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b.run(1000);
    expect(b.stage(image("B", { rebootAfter_ms: 200 }))).toMatchObject({ ok: 1 });
    await b.run(5000);
    const runs = b.vm.output.filter((l) => l.startsWith("image "));
    // three boots of the trial, then the previous image
    expect(runs).toEqual(["image A", "image B", "image B", "image B", "image A"]);
    expect(b.read("mg.why")).toBe("restarts");
    expect(b.read("mg.cur") ?? "0").toBe("0");
    expect(b.read("mg.try")).toBeUndefined();
  });

  it("goes back when the new image does not prove itself within the time limit", async () => {
    const b = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b.run(1000);
    expect(b.stage(image("B"))).toMatchObject({ ok: 1 });
    await b.run(299_000);
    expect(b.running()).toBe("B");
    await b.run(3000);
    expect(b.running()).toBe("A");
    expect(b.read("mg.why")).toBe("timeout");
  });

  it("an image that stops at its first line (and never kicks the watchdog) is rolled back too", async () => {
    const b = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b.run(1000);
    expect(b.stage('print("image B");throw new Error("broken");')).toMatchObject({ ok: 1 });
    await b.run(200_000);
    expect(b.running()).toBe("A");
    expect(b.read("mg.why")).toBe("restarts");
  });

  it("refuses an image for another board, a bad chunk, and a whole image whose CRC is wrong", async () => {
    const b = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b.run(1000);
    expect(b.rx({ n: 100, k: 1, b: "pico", v: "9" })).toBe("image built for pico, this node is a esp32");
    const img = image("B", { pad: 1000 });
    expect(b.rx({ n: img.length, k: crc32(img), b: "esp32", v: "9" })).toEqual({ have: 0 });
    expect(b.rx({ o: 0, d: img.slice(0, 100), c: 12345 })).toBe("chunk CRC");
    // a chunk that is not where the node stands is answered with where it stands
    expect(b.rx({ o: 50, d: "x", c: crc32("x") })).toEqual({ have: 0 });
    // an image whose chunks are right but whose whole CRC is not: nothing switches, staging starts again
    const b2 = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b2.run(1000);
    let r = b2.rx({ n: img.length, k: crc32(img) ^ 1, b: "esp32", v: "9" });
    while (typeof r === "object") r = b2.rx({ o: r.have, d: img.slice(r.have, r.have + 400), c: crc32(img.slice(r.have, r.have + 400)) });
    expect(r).toBe("image CRC: staged again from the start");
    expect(b2.read("mg.try")).toBeUndefined();
  });

  it("goes on from what it has after a lost link and after a reboot", async () => {
    const b = new UpdateBoard(image("A", { okAfter_ms: 500 }));
    await b.run(1000);
    const img = image("B", { okAfter_ms: 500, pad: 2000 });
    const begin = { n: img.length, k: crc32(img), b: "esp32", v: "9" };
    b.rx(begin);
    b.rx({ o: 0, d: img.slice(0, 700), c: crc32(img.slice(0, 700)) });
    // a begin again (the gateway after a reconnect) answers where the node stands
    expect(b.rx(begin)).toEqual({ have: 700 });
    b.vm.evaluate("E.reboot()");
    await b.run(1000);
    expect(b.running()).toBe("A");
    expect(b.rx(begin)).toEqual({ have: 700 });
    expect(b.stage(img)).toMatchObject({ ok: 1 });
    await b.run(1000);
    expect(b.running()).toBe("B");
  });

  it("the boot loader spells the files and limits as files.ts does", () => {
    const code = bootLoader();
    for (const name of [files.imageFile, files.currentFile, files.trialFile, files.whyFile]) expect(code).toContain(`"${name}`);
    expect(code).toMatch(new RegExp(">" + files.trialBootsMax + "\\b"));
    expect(code).toContain(`${files.trialLimit_s / 100}e5`);
  });
});

// What updates over the air cost in variables on the real interpreter (docs/updates.md "What it costs"): the ESP32's
// file booted through the boot loader, idle, and with an update being staged (the receiver loaded from Storage
// and a chunk of the image written). The idle figure is the footprint test's; this one measures the update.
import { expect, it } from "vitest";
import { findBoard } from "../../firmware/boards/index";
import { needs } from "../helpers/prerequisites";
import { espruinoBin } from "./espruino-bin";
import { measureFootprint } from "./footprint";

// from .boot0, 3 s after boot: the update begins (the firmware's own path: its fw command handler is in its scope,
// so the test hands the receiver the node's Storage as the firmware does) and a 1.5 KB chunk is staged
const update = `setTimeout(function () {
  var s = require("Storage"); eval(s.read("mg.rx"));
  global.MG_RXI = MG_RX(s, E.CRC32, "esp32", function () {});
  var img = "/*minigrid esp32 9.9.9*/\\n" + "print(1);".repeat(3000);
  var r = MG_RXI({ n: img.length, k: E.CRC32(img), b: "esp32", v: "9.9.9" });
  var d = img.substr(0, 1536); MG_RXI({ o: 0, d: d, c: E.CRC32(d) }); img = d = undefined;
}, 3000);\n`;

needs("espruino").describe("esp32: variables with an update under way", () => {
  it("the receiver and a staged chunk cost a few hundred variables at most, within the budget", () => {
    const b = findBoard("esp32")!;
    const idle = measureFootprint("esp32", espruinoBin!, espruinoBin!);
    const during = measureFootprint("esp32", espruinoBin!, espruinoBin!, {}, update);
    console.log(`esp32: ${idle.variables} variables idle, ${during.variables} with an update under way (budget ${b.budget.variables})`);
    expect(idle.variables).toBeDefined();
    expect(during.variables).toBeDefined();
    expect(during.variables! - idle.variables!).toBeLessThan(400);
    expect(during.variables!).toBeLessThanOrEqual(b.budget.variables);
  }, 180_000);
});

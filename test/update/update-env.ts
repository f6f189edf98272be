// A virtual updatable board for the update machinery's tests: the built boot loader as the program (.bootcde), two
// small images that say which one runs, and the built update receiver driven as the node drives it (node-app.ts
// update()), inside the board's context so that a power cut strikes its writes as it strikes the firmware's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { firmwareOutDir } from "../../contracts/paths";
import { findBoard } from "../../firmware/boards/index";
import { crc32 } from "../../sim/vm/crc32";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";

/** An image that prints its name, and proves itself (MG_OK) after `okAfter_ms` unless told otherwise. */
export function image(name: string, o: { okAfter_ms?: number; rebootAfter_ms?: number; pad?: number } = {}): string {
  // as the firmware does: its watchdog kicked every second (the loader sets one on a trial)
  let s = `print("image ${name}");setInterval(E.kickWatchdog,1000);`;
  if (o.rebootAfter_ms !== undefined) s += `setTimeout(function(){E.reboot();},${o.rebootAfter_ms});`;
  else if (o.okAfter_ms !== undefined) s += `setTimeout(function(){if(global.MG_OK)MG_OK();},${o.okAfter_ms});`;
  // a long image spans many chunks: a comment of filler
  if (o.pad) s += "/*" + "x".repeat(o.pad) + "*/";
  return s;
}

export const bootLoader = () => readFileSync(join(firmwareOutDir, "boot.js"), "latin1");
export const receiverCode = () => readFileSync(join(firmwareOutDir, "receiver.js"), "latin1");

export class UpdateBoard {
  vm: VirtualEspruino;
  constructor(imageA: string) {
    // the ESP32: the board with room for two images (update/room.ts)
    this.vm = new VirtualEspruino({ board: findBoard("esp32")! });
    const st = this.vm.storage();
    st.write("mg.fw0", imageA);
    st.write("mg.rx", receiverCode());
    st.write(".bootcde", bootLoader());
    this.vm.load(bootLoader());
  }
  /** Which image printed last. */
  running(): string | undefined {
    const l = this.vm.output.filter((x) => x.startsWith("image ")).pop();
    return l?.slice(6);
  }
  read(name: string): string | undefined {
    return this.vm.storage().read(name);
  }
  /** One begin or chunk, handed to a receiver loaded from Storage as the node loads it; its answer. */
  rx(a: object): any {
    return this.vm.evaluate(`(global.RX || (global.RX = (0, eval)(require("Storage").read("mg.rx") || "0") && MG_RX(require("Storage"), E.CRC32, "esp32", function () { setTimeout(E.reboot, 100); })))(${JSON.stringify(a)})`);
  }
  /** Stage `img` in chunks of `chunk` bytes from where the node stands; the node's last answer. */
  stage(img: string, chunk = 512, board = "esp32"): any {
    let r = this.rx({ n: img.length, k: crc32(img), b: board, v: "9.9.9" });
    while (typeof r === "object" && !r.ok) {
      const d = img.slice(r.have, r.have + chunk);
      r = this.rx({ o: r.have, d, c: crc32(d) });
    }
    return r;
  }
  async run(ms: number): Promise<void> {
    await this.vm.runFor(ms);
  }
}

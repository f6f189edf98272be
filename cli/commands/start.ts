import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Command } from "../command";
import { findBoard } from "../../firmware/boards/index";
import { firmwareOutDir } from "../build/compile-firmware";
import { VirtualEspruino } from "../../sim/vm/espruino-vm";
import { buildFirmware } from "./build";

export const startCommand: Command = {
  name: "start",
  summary: "build the firmware and run a simulated site on it (npm start)",
  usage: `Usage: minigrid start [--for DAYS]

Builds the firmware for every board, then runs the linux board's file in the virtual Espruino, printing what the
firmware prints, and reports the variables it uses.

Options:
  --for DAYS   virtual days to run (default 1)
  -h, --help   show this help`,
  options: { for: { type: "string" } },
  async run(values) {
    await buildFirmware([], (l) => console.log(l));
    const board = findBoard("linux")!;
    const workDir = mkdtempSync(join(tmpdir(), "minigrid-start-"));
    writeFileSync(join(workDir, board.settingsFile!), JSON.stringify({ site: "demo", node: "controller-1" }));
    const days = Number((values.for as string | undefined) ?? "1");
    const esp = new VirtualEspruino({ board, workDir, onLog: (l) => console.log(`[${board.id}] ${l}`) });
    esp.loadFile(join(firmwareOutDir, `${board.id}.js`));
    const started = Date.now();
    await esp.runFor(days * 86_400_000);
    console.log(`ran ${days} virtual day(s) in ${((Date.now() - started) / 1000).toFixed(2)} s; about ${esp.memoryUsage()} of ${board.variables} variables in use`);
    return 0;
  },
};

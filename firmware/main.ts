// Wiring only: settings, self-test, and the application for the board given by the build.
import { RuntimeBoard } from "./boards/types";
import { withDefaults, settingsFile } from "./app/node-settings";
import { runSelfTest } from "./app/self-test";
import { startNode } from "./app/node-app";
import { boardHardware } from "./app/board-hardware";

export function start(board: RuntimeBoard): void {
  const storage = require("Storage");
  // the Linux build reads the board's JSON file; a board, what Storage holds (a cfg command writes it)
  const settings = withDefaults(board.settingsFile ? JSON.parse(require("fs").readFileSync(board.settingsFile) || "{}") : storage.readJSON(settingsFile, true));
  if (settings.selfTest) {
    const failed = runSelfTest(function (line) {
      console.log(line);
    });
    if (board.settingsFile) {
      // Linux build: end the run so the exit status reports the outcome (espruino.md "On the Linux build").
      if (failed) throw new Error("self-test failed");
      quit();
    }
    return;
  }
  startNode({
    board: board,
    settings: settings,
    storage: storage,
    hw: boardHardware(board),
    getTime: getTime,
    setTime: setTime,
    crc: E.CRC32,
    reboot: E.reboot,
    watchdog: E.enableWatchdog,
    kick: E.kickWatchdog,
    probe: typeof MG_PROBE === "function" ? MG_PROBE : undefined,
  });
}

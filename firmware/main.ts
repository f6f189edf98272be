// Wiring only: settings, self-test, and the application for the board given by the build.
import { RuntimeBoard } from "./boards/types";
import { withDefaults, settingsFile } from "./app/node-settings";
import { runSelfTest } from "./app/self-test";
import { coreChecks } from "./app/core-checks";
import { NodeApp } from "./app/node-app";
import { boardHardware } from "./app/board-hardware";

function loadSettings(board: RuntimeBoard): any {
  if (board.settingsFile) {
    const text = require("fs").readFileSync(board.settingsFile);
    return text ? JSON.parse(text) : {};
  }
  return require("Storage").readJSON(settingsFile, true) || {};
}

export function start(board: RuntimeBoard): void {
  const settings = withDefaults(loadSettings(board));
  if (settings.selfTest) {
    const result = runSelfTest(coreChecks(), (line) => console.log(line));
    if (board.settingsFile) {
      // Linux build: end the run so the exit status reports the outcome (espruino.md "On the Linux build").
      if (result.failed.length > 0) throw new Error("self-test failed");
      quit();
    }
    return;
  }
  const storage = require("Storage");
  const app = new NodeApp({
    board: board,
    settings: settings,
    storage: storage,
    hw: boardHardware(board),
    getTime: getTime,
    setTime: setTime,
    crc: function (s: string) {
      return E.CRC32(s);
    },
    reboot: function () {
      E.reboot();
    },
    watchdog: {
      enable: function (s: number) {
        E.enableWatchdog(s, false);
      },
      kick: function () {
        E.kickWatchdog();
      },
    },
    log: function (line: string) {
      console.log(line);
    },
    probe: typeof MG_PROBE === "function" ? MG_PROBE : undefined,
  });
  app.start();
}

// Wiring only: settings, self-test, and the application for the board given by the build.
import { Board } from "./boards/types";
import { loadSettings } from "./app/settings";
import { runSelfTest } from "./app/self-test";
import { coreChecks } from "./app/core-checks";

export function start(board: Board): void {
  const settings = loadSettings(board);
  if (settings.selfTest) {
    const result = runSelfTest(coreChecks, (line) => console.log(line));
    if (board.settingsFile) {
      // Linux build: end the run so the exit status reports the outcome (espruino.md "On the Linux build").
      if (result.failed.length > 0) throw new Error("self-test failed");
      quit();
    }
    return;
  }
  console.log("minigrid " + board.id + " site=" + settings.site + " node=" + settings.node);
}

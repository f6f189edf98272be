// Wiring only, for a board: settings from Storage (a cfg command writes them), the application on the board's
// hardware. The Linux build starts from main-linux.ts instead.
import { RuntimeBoard } from "./boards/types";
import { NodeSettings, withDefaults, settingsFile } from "./app/node-settings";
import { startNode } from "./app/node-app";
import { boardHardware } from "./app/board-hardware";
import { SensorHardware } from "./app/sensors";

/** The application with the interpreter's globals; shared by both entries. */
export function run(board: RuntimeBoard, settings: NodeSettings, hw: SensorHardware): void {
  startNode({
    board: board,
    conf: settings,
    flash: require("Storage"),
    hw: hw,
    wall: getTime,
    setWall: setTime,
    crc: E.CRC32,
    restartBoard: E.reboot,
    watchdog: E.enableWatchdog,
    kick: E.kickWatchdog,
    // the simulator's MG_PROBE; absent on a board (global: no ReferenceError)
    probe: global.MG_PROBE,
  });
}

export function start(board: RuntimeBoard): void {
  run(board, withDefaults(require("Storage").readJSON(settingsFile, true)), boardHardware(board));
}

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
    settings: settings,
    storage: require("Storage"),
    hw: hw,
    getTime: getTime,
    setTime: setTime,
    crc: E.CRC32,
    reboot: E.reboot,
    watchdog: E.enableWatchdog,
    kick: E.kickWatchdog,
    probe: typeof MG_PROBE === "function" ? MG_PROBE : undefined,
  });
}

export function start(board: RuntimeBoard): void {
  run(board, withDefaults(require("Storage").readJSON(settingsFile, true)), boardHardware(board));
}

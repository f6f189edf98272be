// Wiring only, for a board: settings from Storage (a cfg command writes them), the application on the board's
// hardware. The Linux build starts from main-linux.ts instead.
import { RuntimeBoard } from "./boards/types";
import { NodeSettings, withDefaults, loadSettings } from "./app/node-settings";
import { startNode } from "./app/node-app";
import { boardHardware } from "./app/board-hardware";
import { SensorHardware } from "./app/sensors";
import { NetConnectFn, NetLink } from "./hal/types";
import { NetSetting } from "./app/node-settings";

/** Makes the board's network link from the settings' `net` (firmware/net/): given by the board's entry. */
export type LinkFactory = (net: NetSetting, board: RuntimeBoard, hw: SensorHardware) => NetLink;

/** The application with the interpreter's globals; shared by both entries. */
export function run(board: RuntimeBoard, settings: NodeSettings, hw: SensorHardware, link?: NetLink, tls?: TlsFactory): void {
  startNode({
    board: board,
    conf: settings,
    flash: require("Storage"),
    hw: hw,
    link: link,
    tls: tls,
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

/** MQTT over TLS (net/tls.ts): given by the entry of a board whose interpreter has it. */
export type TlsFactory = (broker: NodeSettings["broker"]) => NetConnectFn;

export function start(board: RuntimeBoard, makeLink?: LinkFactory, tls?: TlsFactory): void {
  const s = withDefaults(loadSettings(require("Storage")));
  if (makeLink && !s.net) console.log("no net in the settings: no network");
  const hw = boardHardware(board);
  run(board, s, hw, makeLink && s.net && makeLink(s.net, board, hw), tls);
}

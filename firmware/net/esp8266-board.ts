// The ESP8266 module as a board wires it (boards/pico-esp8266.ts): its UART on the board's pins, its enable
// (CH_PD) pin driven by the AT driver's power cycle.
import { NetLink } from "../hal/types";
import { NetSetting } from "../app/node-settings";
import { RuntimeBoard } from "../boards/types";
import { SensorHardware } from "../app/sensors";
import { esp8266Link } from "./esp8266-at";

export function esp8266BoardLink(net: NetSetting, board: RuntimeBoard, hw: SensorHardware): NetLink {
  const w = board.esp8266!;
  return esp8266Link(net, hw.serial(w.serial, w.rx, w.tx), function (on) {
    hw.digitalWrite(hw.pin(w.enable), on);
  });
}

import { Board } from "./types";
import { pico } from "./pico";

// The Espruino Pico with an ESP8266 module (the Pico's ESP8266 adaptor shim) on Serial2 (A2 TX, A3 RX) instead of
// Ethernet: the standard Pico firmware build, our own AT driver (firmware/net/esp8266-at.ts). The module takes
// Serial2, so VE.Direct (receive-mostly, 19200 baud) moves to a software Serial on B3/B4.
export const picoEsp8266: Board = {
  id: "pico-esp8266",
  name: "Espruino Pico with an ESP8266 module",
  espruinoBoard: pico.espruinoBoard,
  chip: pico.chip,
  variables: pico.variables,
  storageBytes: pico.storageBytes,
  flashPageBytes: pico.flashPageBytes,
  networks: ["esp8266-at"],
  esp8266: { serial: "Serial2", tx: "A2", rx: "A3", baud: 115200, enable: "A10" },
  modbus: pico.modbus,
  vedirect: { serial: "soft", tx: "B3", rx: "B4", baud: 19200 },
  i2c: pico.i2c,
  ctPins: pico.ctPins,
  statusLed: pico.statusLed,
  budget: pico.budget,
};

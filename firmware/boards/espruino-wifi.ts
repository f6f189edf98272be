import { Board, PROGRAM_BYTES_MAX, VARIABLES_SHARE_MAX } from "./types";

// Espruino WiFi (STM32F411CEU6 + ESP8266 on Serial2 A2/A3). Serial1 is the one free hardware USART: it takes
// the RS-485 bus; VE.Direct (receive-mostly, 19200 baud) uses a software Serial.
export const espruinoWifi: Board = {
  id: "espruino-wifi",
  name: "Espruino WiFi",
  espruinoBoard: "ESPRUINOWIFI",
  chip: "STM32F411CEU6",
  variables: 8190,
  budget: { programBytes: PROGRAM_BYTES_MAX, variables: Math.floor(8190 * VARIABLES_SHARE_MAX) },
  storageBytes: 64 * 1024,
  flashPageBytes: 16 * 1024,
  networks: ["esp8266-wifi"],
  modbus: { serial: "Serial1", tx: "B6", rx: "B7", baud: 115200, driverEnable: "B5" },
  vedirect: { serial: "soft", tx: "A0", rx: "A1", baud: 19200 },
  i2c: { bus: "I2C1", scl: "B8", sda: "B9", ina226Addresses: [0x40, 0x41, 0x44] },
  ctPins: ["A5", "A6"],
  statusLed: "LED2",
};

import { Board, PROGRAM_BYTES_MAX, VARIABLES_SHARE_MAX } from "./types";

// ESP32 (ESP-WROOM-32 DevKitC). UART0 is the console; UART1/UART2 are Serial2/Serial3 in Espruino.
// ADC1 pins only (ADC2 is unusable while Wi-Fi is on).
export const esp32: Board = {
  id: "esp32",
  name: "ESP32 DevKitC",
  espruinoBoard: "ESP32",
  chip: "ESP32-D0WD",
  variables: 16383,
  budget: { programBytes: PROGRAM_BYTES_MAX, variables: Math.floor(16383 * VARIABLES_SHARE_MAX) },
  storageBytes: 896 * 1024,
  flashPageBytes: 4 * 1024,
  networks: ["esp32-wifi"],
  tls: true,
  modbus: { serial: "Serial2", tx: "D17", rx: "D16", baud: 115200, driverEnable: "D4" },
  vedirect: { serial: "Serial3", tx: "D26", rx: "D25", baud: 19200 },
  i2c: { bus: "I2C1", scl: "D22", sda: "D21", ina226Addresses: [0x40, 0x41, 0x44] },
  ctPins: ["D34", "D35"],
  statusLed: "D2",
};

import { Board } from "./types";

// Espruino Pico (STM32F401CDU6, 384 KB flash, 96 KB RAM). Two usable USARTs (Serial1, Serial2).
// Default network: a W5500 Ethernet module on SPI2 leaves both UARTs for the sensors. With the ESP8266 shim
// (on Serial2, A2/A3) VE.Direct moves to a software Serial: see hardware.md.
export const pico: Board = {
  id: "pico",
  name: "Espruino Pico",
  espruinoBoard: "PICO_R1_3",
  chip: "STM32F401CDU6",
  variables: 5100,
  storageBytes: 48 * 1024,
  flashPageBytes: 16 * 1024,
  networks: ["w5500-ethernet", "esp8266-wifi"],
  modbus: { serial: "Serial1", tx: "B6", rx: "B7", baud: 115200, driverEnable: "B5" },
  vedirect: { serial: "Serial2", tx: "A2", rx: "A3", baud: 19200 },
  i2c: { bus: "I2C1", scl: "B8", sda: "B9", ina226Addresses: [0x40, 0x41, 0x44] },
  ctPins: ["A5", "A6"],
  statusLed: "LED2",
};

import { Board, PROGRAM_BYTES_MAX, VARIABLES_SHARE_MAX } from "./types";

// Espruino Pico (STM32F401CDU6, 384 KB flash, 96 KB RAM). Two usable USARTs (Serial1, Serial2).
// Network: a W5500 Ethernet module on SPI2, which leaves both UARTs for the sensors (the Espruino firmware build
// for the Pico with WIZnet support). With an ESP8266 module instead, see pico-esp8266.
export const pico: Board = {
  id: "pico",
  name: "Espruino Pico",
  espruinoBoard: "PICO_R1_3",
  chip: "STM32F401CDU6",
  variables: 5100,
  budget: { programBytes: PROGRAM_BYTES_MAX, variables: Math.floor(5100 * VARIABLES_SHARE_MAX) },
  storageBytes: 48 * 1024,
  flashPageBytes: 16 * 1024,
  networks: ["w5500-ethernet"],
  w5500: { spi: "SPI2", sck: "B13", miso: "B14", mosi: "B15", cs: "B10" },
  modbus: { serial: "Serial1", tx: "B6", rx: "B7", baud: 115200, driverEnable: "B5" },
  vedirect: { serial: "Serial2", tx: "A2", rx: "A3", baud: 19200 },
  i2c: { bus: "I2C1", scl: "B8", sda: "B9", ina226Addresses: [0x40, 0x41, 0x44] },
  ctPins: ["A5", "A6"],
  statusLed: "LED2",
};

// Boards as data (docs/style.md 3). docs/hardware.md holds the same table for people; test/build/boards.test.ts
// checks that the two agree. Pin names are Espruino's pin names for the board.

/** A UART as wired on the board. `serial` names the Espruino object; "soft" means a software Serial. */
export interface UartWiring {
  serial: string;
  tx: string;
  rx: string;
  baud: number;
}

/** RS-485 half-duplex transceiver (MAX3485 / SP3485 class): DE and /RE tied together on one pin. */
export interface Rs485Wiring extends UartWiring {
  driverEnable: string;
}

export interface I2CWiring {
  bus: string;
  scl: string;
  sda: string;
  /** 7-bit addresses of the INA226 feeder monitors on this bus (0x40..0x4F). */
  ina226Addresses: number[];
}

/**
 * How a board reaches the site network (firmware/net/):
 *   esp32-wifi, esp8266-wifi  the interpreter's own `Wifi` module (ESP32; the Espruino WiFi's on-board ESP8266)
 *   w5500-ethernet            a W5500 module on SPI through the interpreter's `WIZnet` module (the Pico's WIZnet build)
 *   esp8266-at                an ESP8266 module on a UART, spoken to with AT commands by our own driver
 *   host-tcp                  the host's network (the interpreter's Linux build)
 */
export type NetworkKind = "esp8266-wifi" | "w5500-ethernet" | "esp32-wifi" | "esp8266-at" | "host-tcp";

/** A W5500 Ethernet module on SPI: the bus, its pins and the chip select. */
export interface SpiEthernetWiring {
  spi: string;
  sck: string;
  miso: string;
  mosi: string;
  cs: string;
}

export interface Board {
  id: string;
  name: string;
  /** Board name the espruino CLI knows (its --board argument). */
  espruinoBoard: string;
  chip: string;
  /** JsVars available to programs (docs/espruino.md, "Memory and flash per board"). */
  variables: number;
  /** Flash available to require("Storage"), bytes. */
  storageBytes: number;
  /** Erase unit of that flash, bytes. */
  flashPageBytes: number;
  networks: NetworkKind[];
  /** The interpreter's build for the board has `require("tls")`, for MQTT over TLS (the ESP32's: mbedTLS). */
  tls?: boolean;
  /** The W5500 module's wiring, on a board whose networks include w5500-ethernet. */
  w5500?: SpiEthernetWiring;
  /** The ESP8266 module's UART (AT commands, 115200 baud) and its enable (CH_PD) pin, for esp8266-at. */
  esp8266?: UartWiring & { enable: string };
  modbus?: Rs485Wiring;
  vedirect?: UartWiring;
  i2c?: I2CWiring;
  /** ADC pins with a CT clamp (burden resistor to a VCC/2 bias). */
  ctPins: string[];
  statusLed?: string;
  /**
   * What the board's program may take (docs/footprint.md says how each was set): `programBytes` of its Storage
   * as the minified file, and `variables` in use with every driver on, its network up and a backlog queued.
   * The build's tests (test/build/budgets.test.ts) and the footprint test on the real interpreter hold every
   * board to them; `minigrid bench` prints them beside the measured figures.
   */
  budget: { programBytes: number; variables: number };
  /** Linux build only: settings file read from the working directory at start. */
  settingsFile?: string;
}

/**
 * The budgets every board's program is held to (docs/footprint.md). Bytes: set from the Pico's 48 KB Storage,
 * which must hold beside the program two settings slots (1 KB each at most), the boot and energy files, the 4 KB
 * the flash queue leaves Storage for compaction, and the queue itself: its smallest size is 3 page files of 2 KB
 * plus 2 of room for merging and copying (app/queue/flash-queue.ts). A program of 26 KB still leaves the queue
 * those 3 page files (today's 23.6 KB leaves it 4); every 2 KB more of program is a page file of backlog fewer
 * before merging begins. Variables: at most 40 %
 * of the board's, which leaves the rest to the interpreter's working memory (a parsed MQTT packet, a JSON.parse of
 * a command, the stack of a deep call).
 */
export const PROGRAM_BYTES_MAX = 26 * 1024;
/** What a board's Storage keeps for everything but the program (the reserve above), bytes. */
export const STORAGE_RESERVE_BYTES = 2 * 1024 + 512 + 4096 + 5 * (2048 + 32);
export const VARIABLES_SHARE_MAX = 0.4;

/** What the firmware reads of its board at run time: the build writes only these into a board's program (the
 *  rest, names and sizes, serves the tools and the documentation). */
export const RUNTIME_BOARD_KEYS = ["id", "modbus", "vedirect", "i2c", "ctPins", "statusLed", "settingsFile", "w5500", "esp8266"] as const;
export type RuntimeBoard = Pick<Board, (typeof RUNTIME_BOARD_KEYS)[number]>;

// What the Espruino interpreter provides beyond lib.es5 and @types/espruino 1.95, as measured in
// docs/espruino.md ("Syntax and built-ins"). Only what the firmware uses is declared, so that the
// compiler refuses anything else the interpreter lacks (Map, Set, Symbol, Array.from, ...).

interface Array<T> {
  find(predicate: (value: T, index: number) => boolean): T | undefined;
  findIndex(predicate: (value: T, index: number) => boolean): number;
  includes(value: T): boolean;
  fill(value: T, start?: number, end?: number): this;
}

interface String {
  padStart(length: number, fill?: string): string;
  padEnd(length: number, fill?: string): string;
  startsWith(search: string): boolean;
  endsWith(search: string): boolean;
  includes(search: string): boolean;
  repeat(count: number): string;
}

interface ObjectConstructor {
  assign<T extends object, U>(target: T, source: U): T & U;
  values<T>(o: { [key: string]: T }): T[];
  entries<T>(o: { [key: string]: T }): [string, T][];
}

declare function setTimeout(callback: (...args: any[]) => void, ms: number, ...args: any[]): number;
declare function setInterval(callback: (...args: any[]) => void, ms: number, ...args: any[]): number;
declare function clearTimeout(id: number | undefined): void;
declare function clearInterval(id: number | undefined): void;
declare function quit(): void;

declare namespace E {
  /** Standard CRC-32: E.CRC32("123456789") === 0xCBF43926 */
  function CRC32(data: string | ArrayLike<number>): number;
  function getSizeOf(v: any, depth?: number): number;
  function enableWatchdog(timeoutSeconds: number, isAuto?: boolean): void;
  function reboot(): void;
  function on(event: "init" | "kill", callback: () => void): void;
}

interface EspruinoMemory {
  free: number;
  usage: number;
  total: number;
  history?: number;
}

declare const process: {
  version: string;
  env: { [key: string]: any };
  memory(gc?: boolean): EspruinoMemory;
};

/** A socket from require("net").connect */
interface EspruinoSocket {
  write(data: string): void;
  end(): void;
  on(event: "data", callback: (data: string) => void): void;
  on(event: "close" | "end", callback: () => void): void;
  on(event: "error", callback: (err: any) => void): void;
}

interface EspruinoNet {
  connect(options: { host: string; port: number }, callback?: () => void): EspruinoSocket;
}

interface EspruinoFs {
  readFileSync(path: string): string | undefined;
  readFile(path: string): string | undefined;
  existsSync?(path: string): boolean;
}

/**
 * require("tls") on builds with TLS (the ESP32's, the Linux build): connect as net's, over mbedTLS; `ca` is the
 * DER of a certificate (Espruino's tls reference: a PEM's base64 through atob). Espruino 2v29 sets mbedTLS's
 * authentication mode to "none", so the peer's certificate is not checked against it.
 */
interface EspruinoTls {
  connect(options: { host: string; port: number; ca?: string }, callback?: () => void): EspruinoSocket;
}

declare function require(name: "tls"): EspruinoTls;
/** require("Storage"): declared once, in hal/storage.ts (the simulator and the tests take the same types). */
declare function require(name: "Storage"): import("../hal/storage").StorageApi;
declare function require(name: "net"): EspruinoNet;
declare function require(name: "fs"): EspruinoFs;

declare const console: {
  log(...values: any[]): void;
};

/** The interpreter's global object (Serial1, pins... by name). */
declare const global: any;

/** E.openFile on boards with a filesystem and on the Linux build. */
interface EspruinoFile {
  read(length: number): string | undefined;
  close(): void;
}
declare namespace E {
  function openFile(path: string, mode: "r" | "w" | "a"): EspruinoFile;
}

/** Set the clock: getTime() then returns Unix seconds. */
declare function setTime(unixSeconds: number): void;

/** Defined only by the simulator: the firmware reports what a run's ledger counts (batches queued). */
declare const MG_PROBE: ((kind: string, a: number, b: number) => void) | undefined;

/** require("Wifi") on the ESP32 and Espruino WiFi builds (Espruino's Wifi library reference). */
interface EspruinoWifi {
  connect(ssid: string | undefined, options: { password?: string }, callback: (err: any) => void): void;
  setIP(settings: { ip: string; gw?: string; netmask?: string }, callback: () => void): void;
  on(event: "disconnected", callback: (details: any) => void): void;
  getDetails(callback: (details: { status?: string; rssi?: number }) => void): void;
}
/** require("WIZnet") on the Pico's WIZnet build: connect(spi, cs) gives the interface. */
interface EspruinoWiznet {
  connect(spi: any, cs: any): { setIP(options?: { ip?: string; subnet?: string; gateway?: string; dns?: string }): boolean; getIP(): any };
}
declare function require(name: "Wifi"): EspruinoWifi;
declare function require(name: "WIZnet"): EspruinoWiznet;

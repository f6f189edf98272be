// The tiny interfaces between firmware logic and hardware (docs/style.md 1 and 5). On a board the
// globals (Serial1, I2C1, getTime) satisfy them; in the simulator the virtual Espruino provides the same
// globals, and unit tests can pass plain objects.

/** A UART as Espruino exposes it: data arrives as a binary string (one char per byte, 0..255). */
export interface SerialPort {
  setup(baud: number, options?: any): void;
  write(data: string | Uint8Array | number[]): void;
  on(event: "data", callback: (data: string) => void): void;
}

/** An I2C master as Espruino exposes it (I2C1 etc.). Addresses are 7-bit. */
export interface I2CBus {
  writeTo(address: number, data: number | number[] | Uint8Array): void;
  readFrom(address: number, quantity: number): Uint8Array;
}

/** Seconds since boot (Espruino getTime() before the clock is set), fractional. */
export interface Clock {
  seconds(): number;
}

/** A TCP socket as require("net").connect gives it on the interpreter: "data" (a binary string), "close", "error". */
export interface NetSocket {
  write(data: string): unknown;
  end(): void;
  on(event: string, callback: (arg?: any) => void): void;
}

/** Opens a TCP connection; `onConnect` runs once it is open. Throws (or closes at once) when it cannot. */
export type NetConnectFn = (to: { host: string; port: number }, onConnect: () => void) => NetSocket;

/**
 * The controller's network link (firmware/net/): Wi-Fi through the interpreter's `Wifi` module, Ethernet through
 * `WIZnet`, or a Wi-Fi module on a UART spoken to with AT commands. The link manager (net/link.ts) joins it before
 * MQTT, retries with backoff and joins again when it is lost.
 */
export interface NetLink {
  /** Join the network (association, DHCP or the static address); `done` once: no argument when up, else why not. */
  join(done: (err?: string) => void): void;
  /** Tell `lost` when a joined link drops (access point gone, lease lost, cable out, module reset). */
  watch(lost: (why: string) => void): void;
  /** The access point's signal, dBm, when the link is radio and joined (absent on a wired link). */
  rssi?(done: (dbm?: number) => void): void;
  /** How TCP connections are opened over this link: require("net").connect unless the link has its own. */
  connect?: NetConnectFn;
}

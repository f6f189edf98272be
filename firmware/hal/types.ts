// The tiny interfaces between firmware logic and hardware (style.md 1 and 5). On a board the
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

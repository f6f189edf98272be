// How device models attach to the virtual Espruino's peripherals. A model only speaks bytes, exactly as
// the real device does on its wire; the virtual Espruino delivers them to the firmware's Serial / I2C / ADC.

/** The device's end of a virtual UART. */
export interface SerialLine {
  /** Bytes from the device to the firmware (binary string, one char per byte). */
  sendToFirmware(bytes: string): void;
  /** Called with every write the firmware makes on this UART. */
  onFirmwareWrite(callback: (bytes: string) => void): void;
  /** Virtual time in seconds since the virtual board booted. */
  now(): number;
  /** Schedule on the virtual clock (ms of virtual time). */
  schedule(delayMs: number, callback: () => void): void;
}

/** A device model that speaks over a UART (VE.Direct emitter, Modbus slave). */
export interface SerialDevice {
  attach(line: SerialLine): void;
}

/** A device on the virtual I2C bus, addressed by its 7-bit address. */
export interface I2CDevice {
  readonly address: number;
  /** Bytes the master wrote (register pointer first, then data). */
  write(bytes: number[]): void;
  /** Bytes the master reads (from the current register pointer). */
  read(quantity: number): number[];
}

/** An analog source on an ADC pin: 0..1 of the reference at virtual time t (seconds). */
export type AnalogSource = (tSeconds: number) => number;

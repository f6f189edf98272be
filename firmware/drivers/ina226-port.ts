// I2C traffic for INA226 feeders: setup, reads, quality, and the feeder quantities (feederN_V, _A, _W).
// Calibration and decoding are in ina226.ts. Facts: INA226 datasheet (SBOS547), docs/protocols.md.
// Espruino's I2C readFrom/writeTo throw on NACK or timeout; every bus access here is inside a try, so a missing
// chip is a counted error and a failed sample, never an exception to the caller.
//
// Each poll reads, per feeder, in one pass: Mask/Enable 06h (bit 3 CVRF: a conversion finished since the last
// read, cleared by this read), the measurements 01h..04h, CAL 05h, and the manufacturer (FEh, "TI" 0x5449) and
// die (FFh, 0x226x of any revision) IDs. Then:
//   - wrong IDs: a stranger (or a floating bus) answers at this address; nothing is written to it;
//   - CAL not ours: the chip is new to us or lost power (CAL is 0 at power-on, and current and power read 0
//     without it). It is set up: reset (config bit 15 restores every register's power-on value), INA226_CONFIG,
//     CAL; the next poll reads CAL back. No reading until a conversion finishes after the setup;
//   - a finished conversion: the reading, ok ("o"), or estimated ("e") when the shunt ADC saturated;
//   - no finished conversion: the last conversion's reading again, stale ("s"); more than 3 polls in a row
//     without one (stuck ADC) is a failed sensor, and the chip is set up afresh on every poll until a conversion
//     finishes.
// No reading is null with quality failed ("f"), as on the wire (docs/design.md guarantee 5).

import { I2CBus } from "../hal/types";
import { Quality } from "../protocol/messages";
import { InaReading, ina226Calibrate, ina226Decode } from "./ina226";

/** One shunt and the INA226 that measures it (the node's settings hold these). */
export interface InaFeeder {
  /** 7-bit I2C address, 0x40..0x4F. */
  addr: number;
  shunt_ohm: number;
  /** Largest current to measure; sets Current_LSB = max_A / 2^15. */
  max_A: number;
}

/** Where samples go: quantity key, value (null: none), quality letter, time in seconds. */
export type InaSink = (key: string, value: number | null, q: Quality, t: number) => void;

/**
 * The feeders on one I2C bus and what the driver keeps about each (ina226Port makes one). Short names on purpose:
 * `feeders` is a settings key, so the release build would keep it as written (docs/footprint.md).
 */
export interface Ina226Port {
  b: I2CBus;
  f: InaFeeder[];
  /**
   * Three slots per feeder: 0 polls in a row without a finished conversion; 1 set to 1 by a conversion since the
   * last setup; 2 I2C errors (NACK, timeout) since boot.
   */
  s: Uint32Array;
  /** Bytes of the last pass: registers 06h, 01h..04h (what ina226Decode takes), 05h, FEh, FFh. */
  r: Uint8Array;
}

/** The feeders of one bus, none set up yet. */
export function ina226Port(bus: I2CBus, feeders: InaFeeder[]): Ina226Port {
  return { b: bus, f: feeders, s: new Uint32Array(3 * feeders.length), r: new Uint8Array(16) };
}

/**
 * One pass over every feeder (see the top of the file); gives each feeder's bus volts, current and power to
 * `out` as feederN_V, feederN_A, feederN_W (N from 1). Without `out` the pass only sets the chips up.
 */
export function ina226Poll(port: Ina226Port, t: number, out?: InaSink): void {
  const bus = port.b;
  const r = port.r;
  const s = port.s;
  for (let i = 0; i < port.f.length; i++) {
    const f = port.f[i];
    const a = f.addr;
    const j = 3 * i;
    const cal = ina226Calibrate(f.shunt_ohm, f.max_A);
    let m: InaReading | undefined;
    let fresh = 0;
    // no valid CAL for this shunt: the bus is never touched
    if (cal)
      try {
        for (let k = 0; k < 8; k++) {
          bus.writeTo(a, k ? (k < 6 ? k : 248 + k) : 6); // 06h, 01h..05h, FEh, FFh
          r.set(bus.readFrom(a, 2), 2 * k);
        }
        if (r[12] === 0x54 && r[13] === 0x49 && r[14] === 0x22 && r[15] >> 4 === 6) {
          fresh = r[1] & 8;
          if (fresh) {
            s[j] = 0;
            s[j + 1] = 1;
          } else s[j]++;
          if (((r[10] << 8) | r[11]) !== cal || s[j] > 3) {
            s[j + 1] = 0;
            bus.writeTo(a, [0, 0x80, 0]);
            bus.writeTo(a, [0, 0x47, 0x27]); // INA226_CONFIG
            bus.writeTo(a, [5, cal >> 8, cal & 0xff]);
          } else if (s[j + 1]) m = ina226Decode(r.subarray(2), cal, f.shunt_ohm);
        }
      } catch {
        s[j + 2]++;
      }
    if (out) {
      const q = m ? (fresh ? (m.ovf ? "e" : "o") : "s") : "f";
      for (let k = 0; k < 3; k++) out("feeder" + (i + 1) + "_" + "VAW"[k], m ? [m.bus_V, m.current_A, m.power_W][k] : null, q, t);
    }
  }
}

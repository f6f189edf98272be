// TI INA219 current/power monitor: calibration, configuration and a pure decode from the raw register bytes.
// Register pointers 0x00..0x05 are those of the INA226 (INA226_REG); there are no ID registers.
// Facts: INA219 datasheet (SBOS448), as summarised in docs/protocols.md "INA226 / INA219".
// The board's port (ina226-port.ts) drives INA226 chips only; this module serves the simulator, the tests and the
// tools.

import { InaReading, s16, u16be } from "./ina226";

/** Configuration register value after power-on or reset (datasheet, Configuration Register 00h). */
export const INA219_POR = 0x399f;
/** Bus voltage register bit 1: a conversion finished; cleared by reading the power register (CNVR). */
export const INA219_CNVR = 0x02;
/** Bus voltage register bit 0: the current or power computation overflowed (OVF). */
export const INA219_OVF = 0x01;

// ADC settings (datasheet, Table "ADC Settings"): codes 0-3 are 9..12-bit single samples, codes 8-15 average
// 1..128 12-bit samples. Conversion time in µs for each code 0..15 (4-7 behave like 0-3).
const ADC_US = [84, 148, 276, 532, 84, 148, 276, 532, 532, 1060, 2130, 4260, 8510, 17020, 34050, 68100];

/**
 * CAL register value (datasheet, Programming the Calibration Register, equations 1-2):
 * Current_LSB = Imax / 2^15, CAL = trunc(0.04096 / (Current_LSB * Rshunt)).
 * Bit 0 of the calibration register is void and reads 0, so CAL is kept even.
 * Returns 0 (no valid CAL) when CAL falls outside 2..0xFFFE.
 */
export function ina219Calibrate(shunt_ohm: number, max_A: number): number {
  const cal = Math.floor(0.04096 / ((max_A / 32768) * shunt_ohm));
  return shunt_ohm > 0 && cal >= 2 && cal <= 0xffff ? cal & 0xfffe : 0;
}

/** Ranges and averaging for the configuration register. */
export interface Ina219Options {
  /** Bus voltage range: 16 or 32 V (BRNG). Default 32. */
  busRange_V?: number;
  /** Shunt voltage range: 40, 80, 160 or 320 mV (PGA gain 1, /2, /4, /8; rounded up). Default 320. */
  shuntRange_mV?: number;
  /** 12-bit samples averaged for both channels: 1, 2, 4 ... 128 (rounded up). Default 16. */
  samples?: number;
}

/** ADC code for n = 1..128 samples (n rounded up to a power of two): 0b0011 (one 12-bit sample, as at
 * power-on) for 1, else 8 + log2(n). */
function adcCode(n: number): number {
  let k = 0;
  while (k < 7 && 1 << k < n) k++;
  return k ? 8 | k : 3;
}

/**
 * Configuration register 00h: BRNG bit 13, PG bits 12-11, BADC bits 10-7, SADC bits 6-3, MODE 2-0 = 111
 * (shunt and bus, continuous).
 */
export function ina219Config(o: Ina219Options): number {
  const brng = (o.busRange_V ?? 32) > 16 ? 1 : 0;
  const range = o.shuntRange_mV ?? 320;
  let pg = 0;
  while (pg < 3 && 40 << pg < range) pg++;
  const adc = adcCode(o.samples ?? 16);
  return (brng << 13) | (pg << 11) | (adc << 7) | (adc << 3) | 7;
}

/** Time from one finished conversion to the next for a configuration word, in ms (continuous mode). */
export function ina219Period_ms(config: number): number {
  return (ADC_US[(config >> 7) & 15] + ADC_US[(config >> 3) & 15]) / 1000;
}

/**
 * Decode 8 bytes: registers 0x01..0x04 (shunt, bus, power, current), two bytes each, MSB first, read from a
 * chip holding `cal` in its CAL register. The chip computes Current = Shunt * CAL / 4096 (equation 3), so one
 * current count is worth 0.04096 / (CAL * Rshunt) A and one power count 20 times that.
 * Shunt: signed, 10 µV/LSB at every PGA setting (01h). Bus: (reg >> 3) * 4 mV, bit 1 CNVR, bit 0 OVF (02h).
 * Power: unsigned (03h). Current: signed (04h).
 */
export function ina219Decode(b: ArrayLike<number>, cal: number, shunt_ohm: number): InaReading {
  const iLsb_A = 0.04096 / (cal * shunt_ohm);
  const bus = u16be(b, 2);
  const cur = s16(u16be(b, 6));
  const p = u16be(b, 4) * 20 * iLsb_A;
  return {
    bus_V: (bus >> 3) / 250,
    shunt_uV: s16(u16be(b, 0)) * 10,
    current_A: cur * iLsb_A,
    power_W: cur < 0 ? -p : p,
    ovf: (bus & INA219_OVF) !== 0,
  };
}

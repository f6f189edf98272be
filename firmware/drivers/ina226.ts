// TI INA226 current/power monitor: register map, calibration, configuration and a pure decode from the
// raw register bytes. The I2C traffic lives in ina2xx-port.ts. Facts: INA226 datasheet (SBOS547), as summarised
// in shared/docs/protocols.md "INA226 / INA219". Registers are 16-bit, big-endian (MSB first) on I2C.

/** Register pointers (datasheet, Register Map table). */
export const INA226_REG = {
  config: 0x00,
  shunt: 0x01,
  bus: 0x02,
  power: 0x03,
  current: 0x04,
  cal: 0x05,
  mask: 0x06,
  alert: 0x07,
  manuf: 0xfe,
  die: 0xff,
};

/** Manufacturer ID "TI" and die ID 0x226 rev 0 (datasheet, Manufacturer ID FEh and Die ID FFh registers). */
export const INA226_MANUF_ID = 0x5449;
export const INA226_DIE_ID = 0x2260;
/** Mask/Enable bit 3: a conversion finished since the register was last read (datasheet, Mask/Enable 06h, CVRF). */
export const INA226_CVRF = 0x08;
/** Mask/Enable bit 2: the current or power computation overflowed (datasheet, Mask/Enable 06h, OVF). */
export const INA226_OVF = 0x04;

/** One reading of an INA226 or INA219 channel, in engineering units. */
export interface InaReading {
  bus_mV: number;
  shunt_uV: number;
  current_mA: number;
  /**
   * Signed like the current. The chips' power register holds the magnitude only (users report it:
   * esphome/issues#2949 for the INA226, #5732 for the INA219), so the sign comes from the current register.
   */
  power_W: number;
  /** Shunt ADC at full scale or the chip's arithmetic overflowed: the true value is larger. */
  ovf: boolean;
}

/** Calibration of one channel: the CAL register value and the LSBs that go with it. */
export interface InaCal {
  cal: number;
  /** Amperes per current-register count, from the CAL actually written (so truncation of CAL costs nothing). */
  iLsb_A: number;
  /** Watts per power-register count. */
  pLsb_W: number;
}

const AVG = [1, 4, 16, 64, 128, 256, 512, 1024];
const CT_US = [140, 204, 332, 588, 1100, 2116, 4156, 8244];

/** Index of the first table entry >= v (the last one if v is larger than all). */
function pick(table: number[], v: number): number {
  for (let k = 0; k < table.length; k++) if (table[k] >= v) return k;
  return table.length - 1;
}

/** Reads a big-endian unsigned 16-bit value. */
export function u16be(b: ArrayLike<number>, o: number): number {
  return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff);
}

/** Two's complement of a 16-bit register value. */
export function s16(v: number): number {
  return v & 0x8000 ? v - 0x10000 : v;
}

/**
 * CAL and LSBs for a shunt and the largest current to measure (datasheet, Programming: equations 1 and 2):
 * Current_LSB = Imax / 2^15, CAL = trunc(0.00512 / (Current_LSB * Rshunt)), Power_LSB = 25 * Current_LSB.
 * Returns undefined when CAL falls outside 1..0x7FFF (Imax * Rshunt below 5.12 mV, or nonsense inputs).
 */
export function ina226Calibrate(shunt_ohm: number, max_A: number): InaCal | undefined {
  if (!(shunt_ohm > 0) || !(max_A > 0)) return undefined;
  const cal = Math.floor(0.00512 / ((max_A / 32768) * shunt_ohm));
  if (cal < 1 || cal > 0x7fff) return undefined;
  // The chip computes Current = Shunt * CAL / 2048 (equation 3); with the truncated CAL one count is worth:
  const iLsb_A = 0.00512 / (cal * shunt_ohm);
  return { cal: cal, iLsb_A: iLsb_A, pLsb_W: 25 * iLsb_A };
}

/** Averaging and conversion times for the configuration register. */
export interface Ina226Options {
  /** Samples averaged: 1, 4, 16, 64, 128, 256, 512 or 1024 (rounded up). Default 64. */
  avg?: number;
  /** Bus and shunt conversion time in µs: 140..8244 (rounded up). Default 1100. */
  busCt_us?: number;
  shuntCt_us?: number;
}

/**
 * Configuration register 00h (datasheet): bit 14 as at power-on, AVG bits 11-9, VBUSCT 8-6, VSHCT 5-3,
 * MODE 2-0 = 111 (shunt and bus, continuous). The power-on value 0x4127 is avg 1, 1.1 ms, 1.1 ms, continuous.
 */
export function ina226Config(o: Ina226Options): number {
  const avg = pick(AVG, o.avg ?? 64);
  const vb = pick(CT_US, o.busCt_us ?? 1100);
  const vs = pick(CT_US, o.shuntCt_us ?? 1100);
  return 0x4000 | (avg << 9) | (vb << 6) | (vs << 3) | 7;
}

/** Time from one finished conversion to the next for a configuration word, in ms (continuous mode). */
export function ina226Period_ms(config: number): number {
  return (AVG[(config >> 9) & 7] * (CT_US[(config >> 6) & 7] + CT_US[(config >> 3) & 7])) / 1000;
}

/** True for an INA226: manufacturer 0x5449 and die ID 0x226 (any revision in bits 3-0). */
export function ina226Identify(manuf: number, die: number): boolean {
  return manuf === INA226_MANUF_ID && (die & 0xfff0) === INA226_DIE_ID;
}

/**
 * Decode 8 bytes: registers 0x01..0x04 (shunt, bus, power, current), two bytes each, MSB first.
 * Shunt: signed, 2.5 µV/LSB (register 01h). Bus: 1.25 mV/LSB, no shift, bit 15 always 0 (02h).
 * Power: unsigned, 25 * Current_LSB (03h, equation 4). Current: signed, Current_LSB (04h).
 */
export function ina226Decode(b: ArrayLike<number>, c: InaCal): InaReading {
  const sh = s16(u16be(b, 0));
  const cur = s16(u16be(b, 6));
  const p = u16be(b, 4) * c.pLsb_W;
  return {
    bus_mV: (u16be(b, 2) & 0x7fff) * 1.25,
    shunt_uV: sh * 2.5,
    current_mA: cur * c.iLsb_A * 1000,
    power_W: cur < 0 ? -p : p,
    // Full scale is +-81.92 mV (register 01h): a saturated shunt ADC means the current is out of range.
    ovf: sh >= 0x7fff || sh <= -0x8000,
  };
}

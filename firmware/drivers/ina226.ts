// TI INA226 current/power monitor: calibration and a pure decode from the raw register bytes. The I2C traffic is
// in ina226-port.ts. Facts: INA226 datasheet (SBOS547), as summarised in docs/protocols.md
// "INA226 / INA219". Registers are 16-bit, big-endian (MSB first) on I2C.
//
// The board needs only ina226Calibrate and ina226Decode; the configuration helpers below serve the simulator,
// the tests and the tools, and the bundler leaves them out of the firmware.

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
/**
 * The configuration the board writes: ina226Config({}), averages of 64, 1.1 ms bus and shunt conversions,
 * continuous (a new result every 141 ms).
 */
export const INA226_CONFIG = 0x4727;

/** One reading of an INA226 or INA219 channel, in engineering units. */
export interface InaReading {
  bus_V: number;
  shunt_uV: number;
  current_A: number;
  /**
   * Signed like the current. The chips' power register holds the magnitude only (users report it:
   * esphome/issues#2949 for the INA226, #5732 for the INA219), so the sign comes from the current register.
   */
  power_W: number;
  /** Shunt ADC at full scale or the chip's arithmetic overflowed: the true value is larger. */
  ovf: boolean;
}

/**
 * CAL register value for a shunt and the largest current to measure (datasheet, Programming: equations 1 and 2):
 * Current_LSB = Imax / 2^15, CAL = trunc(0.00512 / (Current_LSB * Rshunt)). Returns 0 (no valid CAL) when CAL
 * falls outside 1..0x7FFF (Imax * Rshunt below 5.12 mV, or nonsense inputs).
 */
export function ina226Calibrate(shunt_ohm: number, max_A: number): number {
  const cal = Math.floor(0.00512 / ((max_A / 32768) * shunt_ohm));
  return shunt_ohm > 0 && cal >= 1 && cal <= 0x7fff ? cal : 0;
}

/**
 * Decode 8 bytes: registers 0x01..0x04 (shunt, bus, power, current), two bytes each, MSB first, read from a
 * chip holding `cal` in its CAL register. The chip computes Current = Shunt * CAL / 2048 (equation 3), so one
 * current count is worth 0.00512 / (CAL * Rshunt) A, whatever truncation CAL had, and one power count 25 times
 * that (equation 4).
 * Shunt: signed, 2.5 µV/LSB (register 01h). Bus: 1.25 mV/LSB, no shift, bit 15 always 0 (02h).
 * Power: unsigned (03h). Current: signed (04h).
 */
export function ina226Decode(b: ArrayLike<number>, cal: number, shunt_ohm: number): InaReading {
  const iLsb_A = 0.00512 / (cal * shunt_ohm);
  // (x << 24) >> 16 sign-extends the high byte of a two's complement 16-bit value
  const shunt = ((b[0] << 24) >> 16) | b[1];
  const current = ((b[6] << 24) >> 16) | b[7];
  const power = ((b[4] << 8) | b[5]) * 25 * iLsb_A;
  return {
    bus_V: (((b[2] & 0x7f) << 8) | b[3]) / 800,
    shunt_uV: shunt * 2.5,
    current_A: current * iLsb_A,
    power_W: current < 0 ? -power : power,
    // Full scale is +-81.92 mV (register 01h): a saturated shunt ADC means the current is out of range.
    ovf: shunt > 0x7ffe || shunt < -0x7fff,
  };
}

/** Reads a big-endian unsigned 16-bit value. */
export function u16be(b: ArrayLike<number>, o: number): number {
  return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff);
}

/** Two's complement of a 16-bit register value. */
export function s16(v: number): number {
  return v & 0x8000 ? v - 0x10000 : v;
}

const AVG = [1, 4, 16, 64, 128, 256, 512, 1024];
const CT_US = [140, 204, 332, 588, 1100, 2116, 4156, 8244];

/** Index of the first table entry >= v (the last one if v is larger than all). */
function pick(table: number[], v: number): number {
  for (let k = 0; k < table.length; k++) if (table[k] >= v) return k;
  return table.length - 1;
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

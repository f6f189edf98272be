import { describe, expect, it } from "vitest";
import { INA226_CONFIG, INA226_REG, ina226Calibrate, ina226Config, ina226Decode, ina226Period_ms, s16, u16be } from "../../firmware/drivers/ina226";

/** Four 16-bit register values (shunt, bus, power, current) as the 8 big-endian bytes the decoder takes. */
function regs(shunt: number, bus: number, power: number, current: number): Uint8Array {
  const b = new Uint8Array(8);
  [shunt, bus, power, current].forEach((v, k) => {
    const u = v & 0xffff;
    b[2 * k] = u >> 8;
    b[2 * k + 1] = u & 0xff;
  });
  return b;
}

describe("INA226 calibration", () => {
  it("gives CAL 2560 and 1 mA / 25 mW LSBs for a 2 mOhm shunt with Current_LSB 1 mA", () => {
    // Current_LSB = Imax / 2^15 = 1 mA needs Imax = 32.768 A; CAL = 0.00512 / (0.001 * 0.002) = 2560.
    expect(ina226Calibrate(0.002, 32.768)).toBe(2560);
    // one count of the current register is 0.00512 / (CAL * R) = 1 mA, of the power register 25 times that
    const m = ina226Decode(regs(0, 0, 1, 1), 2560, 0.002);
    expect(m.current_A).toBeCloseTo(0.001, 12);
    expect(m.power_W).toBeCloseTo(0.025, 12);
  });

  it("truncates CAL and derives the LSB from the CAL actually written", () => {
    // 0.1 ohm, 0.8 A: Current_LSB = 24.414 µA, CAL = 0.00512 / (24.414e-6 * 0.1) = 2097.152 -> 2097.
    const c = ina226Calibrate(0.1, 0.8);
    expect(c).toBe(2097);
    const iLsb_A = 0.00512 / (2097 * 0.1);
    // Whatever the chip puts in the current register (trunc(shunt * CAL / 2048)) decodes to shunt V / R
    // within one count.
    for (const sh of [1, 400, 12345, 32000, -32000, -7]) {
      const cur = Math.trunc((sh * 2097) / 2048);
      const m = ina226Decode(regs(sh, 0, 0, cur), c, 0.1);
      const trueA = (sh * 2.5e-6) / 0.1;
      expect(Math.abs(m.current_A - trueA)).toBeLessThanOrEqual(iLsb_A);
    }
  });

  it("refuses a CAL that does not fit 15 bits or nonsense inputs", () => {
    expect(ina226Calibrate(0.001, 1)).toBe(0); // CAL 167772
    expect(ina226Calibrate(0, 10)).toBe(0);
    expect(ina226Calibrate(0.01, -1)).toBe(0);
    expect(ina226Calibrate(-0.01, -1)).toBe(0);
    expect(ina226Calibrate(NaN, 10)).toBe(0);
  });

  it("needs Imax * R of at least 5.12 mV: 5 mV gives CAL 33554 (refused), 5.2 mV fits", () => {
    expect(ina226Calibrate(0.001, 5)).toBe(0);
    expect(ina226Calibrate(0.001, 5.2)).toBe(Math.floor(0.00512 / ((5.2 / 32768) * 0.001)));
  });
});

describe("INA226 configuration", () => {
  it("reproduces the power-on value 0x4127 for avg 1, 1.1 ms, 1.1 ms, continuous", () => {
    expect(ina226Config({ avg: 1, busCt_us: 1100, shuntCt_us: 1100 })).toBe(0x4127);
  });

  it("packs AVG into bits 11-9, VBUSCT 8-6, VSHCT 5-3 and rounds up", () => {
    const c = ina226Config({ avg: 1024, busCt_us: 140, shuntCt_us: 8244 });
    expect((c >> 9) & 7).toBe(7);
    expect((c >> 6) & 7).toBe(0);
    expect((c >> 3) & 7).toBe(7);
    expect(c & 7).toBe(7);
    expect((ina226Config({ avg: 5 }) >> 9) & 7).toBe(2); // 16
    expect((ina226Config({ busCt_us: 1000 }) >> 6) & 7).toBe(4); // 1.1 ms
    expect(ina226Config({})).toBe(0x4000 | (3 << 9) | (4 << 6) | (4 << 3) | 7);
    expect(INA226_CONFIG).toBe(ina226Config({})); // what the board writes
  });

  it("conversion period: avg * (bus + shunt conversion time)", () => {
    expect(ina226Period_ms(0x4127)).toBeCloseTo(2.2, 9);
    expect(ina226Period_ms(ina226Config({ avg: 64, busCt_us: 588, shuntCt_us: 8244 }))).toBeCloseTo((64 * (588 + 8244)) / 1000, 9);
  });
});

describe("INA226 register map", () => {
  it("has the manufacturer and die ID registers at FEh and FFh (the port checks them: ina226-port.test.ts)", () => {
    expect(INA226_REG.manuf).toBe(0xfe);
    expect(INA226_REG.die).toBe(0xff);
  });
});

describe("INA226 decode", () => {
  const cal = ina226Calibrate(0.002, 32.768); // 1 mA, 25 mW
  const dec = (b: ArrayLike<number>) => ina226Decode(b, cal, 0.002);

  it("decodes 10 A through 2 mOhm at 12 V by hand: 20 mV, 12 V, 10 A, 120 W", () => {
    // Shunt 20 mV / 2.5 µV = 8000 = 0x1F40; bus 12 V / 1.25 mV = 9600 = 0x2580;
    // current = 8000 * 2560 / 2048 = 10000 = 0x2710; power = 10000 * 9600 / 20000 = 4800 = 0x12C0.
    const b = new Uint8Array([0x1f, 0x40, 0x25, 0x80, 0x12, 0xc0, 0x27, 0x10]);
    const m = dec(b);
    expect(m.shunt_uV).toBe(20000);
    expect(m.bus_V).toBe(12);
    expect(m.current_A).toBeCloseTo(10, 9);
    expect(m.power_W).toBeCloseTo(120, 9);
    expect(m.ovf).toBe(false);
  });

  it("decodes the datasheet's two's complement shunt example: -80 mV is 0x8300", () => {
    const m = dec(new Uint8Array([0x83, 0x00, 0, 0, 0, 0, 0, 0]));
    expect(m.shunt_uV).toBe(-80000);
    expect(dec(new Uint8Array([0x7d, 0x00, 0, 0, 0, 0, 0, 0])).shunt_uV).toBe(80000);
  });

  it("gives power the sign of the current (the power register is a magnitude)", () => {
    const m = dec(regs(-8000, 9600, 4800, -10000));
    expect(m.current_A).toBeCloseTo(-10, 9);
    expect(m.power_W).toBeCloseTo(-120, 9);
    expect(m.shunt_uV).toBe(-20000);
  });

  it("matches the datasheet formulas for a sweep of register values", () => {
    for (let k = 0; k < 200; k++) {
      // Shunt counts within +-26214 so that current = 1.25 * shunt still fits the signed 16-bit register.
      const sh = ((k * 7919) % 52428) - 26214;
      const bus = (k * 163) % 0x7fff;
      const cur = Math.trunc((sh * cal) / 2048);
      const pw = Math.trunc((Math.abs(cur) * bus) / 20000);
      const m = dec(regs(sh, bus, pw, cur));
      expect(m.shunt_uV).toBeCloseTo(sh * 2.5, 6);
      expect(m.bus_V).toBeCloseTo(bus * 0.00125, 9);
      expect(m.current_A).toBeCloseTo(cur * 0.001, 9);
      expect(Math.abs(m.power_W)).toBeCloseTo(pw * 0.025, 6);
    }
  });

  it("flags a saturated shunt ADC as overflow", () => {
    expect(dec(regs(0x7fff, 0, 0, 0)).ovf).toBe(true);
    expect(dec(regs(-0x8000, 0, 0, 0)).ovf).toBe(true);
    expect(dec(regs(0x7ffe, 0, 0, 0)).ovf).toBe(false);
  });

  it("reads big-endian and sign-extends", () => {
    expect(u16be([0x12, 0x34], 0)).toBe(0x1234);
    expect(s16(0xffff)).toBe(-1);
    expect(s16(0x8000)).toBe(-32768);
    expect(s16(0x7fff)).toBe(32767);
  });
});

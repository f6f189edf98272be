import { describe, expect, it } from "vitest";
import { INA219_POR, ina219Calibrate, ina219Config, ina219Decode, ina219Period_ms } from "../../firmware/drivers/ina219";

function regs(shunt: number, busReg: number, power: number, current: number): Uint8Array {
  const b = new Uint8Array(8);
  [shunt, busReg, power, current].forEach((v, k) => {
    const u = v & 0xffff;
    b[2 * k] = u >> 8;
    b[2 * k + 1] = u & 0xff;
  });
  return b;
}

describe("INA219 calibration", () => {
  it("gives CAL 4096 for 0.5 ohm and Current_LSB 20 µA; power LSB 400 µW", () => {
    // Current_LSB = Imax / 2^15 = 20 µA needs Imax = 0.65536 A; CAL = trunc(0.04096 / (20e-6 * 0.5)) = 4096.
    expect(ina219Calibrate(0.5, 0.65536)).toBe(4096);
    // one count of the current register is 0.04096 / (CAL * R) A, of the power register 20 times that
    const m = ina219Decode(regs(0, 0, 1, 1), 4096, 0.5);
    expect(m.current_A).toBeCloseTo(20e-6, 15);
    expect(m.power_W).toBeCloseTo(400e-6, 15);
  });

  it("truncates CAL and keeps it even (bit 0 of the register is void)", () => {
    // 0.1 ohm, 3.2 A: Current_LSB = 97.656 µA, CAL = 0.04096 / (97.656e-6 * 0.1) = 4194.3 -> 4194 (even).
    expect(ina219Calibrate(0.1, 3.2)).toBe(4194);
    // 0.1 ohm, 2 A: CAL = 0.04096 * 32768 / 0.2 = 6710.9 -> 6710; 0.1 ohm, 3 A: 4473.9 -> 4473 -> 4472.
    expect(ina219Calibrate(0.1, 2)).toBe(6710);
    expect(ina219Calibrate(0.1, 3)).toBe(4472);
  });

  it("refuses a CAL beyond 0xFFFE or below 2", () => {
    expect(ina219Calibrate(0.001, 1)).toBe(0); // 1342177
    expect(ina219Calibrate(100, 1000)).toBe(0); // 0.013
    expect(ina219Calibrate(-1, 1)).toBe(0);
  });
});

describe("INA219 configuration", () => {
  it("reproduces the power-on value 0x399F: 32 V, 320 mV, one 12-bit sample, continuous", () => {
    expect(ina219Config({ busRange_V: 32, shuntRange_mV: 320, samples: 1 })).toBe(INA219_POR);
    expect(INA219_POR).toBe(0x399f);
  });

  it("packs BRNG bit 13, PG bits 12-11, averaging codes 8 + log2(n) in BADC and SADC", () => {
    const c = ina219Config({ busRange_V: 16, shuntRange_mV: 40, samples: 128 });
    expect((c >> 13) & 1).toBe(0);
    expect((c >> 11) & 3).toBe(0);
    expect((c >> 7) & 15).toBe(15);
    expect((c >> 3) & 15).toBe(15);
    expect(c & 7).toBe(7);
    expect((ina219Config({ shuntRange_mV: 100 }) >> 11) & 3).toBe(2); // rounded up to 160 mV
    expect((ina219Config({ samples: 3 }) >> 3) & 15).toBe(0b1010); // rounded up to 4
  });

  it("conversion period is bus plus shunt conversion time", () => {
    expect(ina219Period_ms(INA219_POR)).toBeCloseTo(1.064, 9);
    expect(ina219Period_ms(ina219Config({ samples: 16 }))).toBeCloseTo(17.02, 9);
  });
});

describe("INA219 decode", () => {
  const cal = ina219Calibrate(0.5, 0.65536); // 20 µA, 400 µW

  it("decodes 0.5 A through 0.5 ohm at 12 V by hand", () => {
    // Shunt 250 mV / 10 µV = 25000; bus 12 V / 4 mV = 3000, register 3000 << 3 | CNVR = 0x5DC2;
    // current = 25000 * 4096 / 4096 = 25000 (x 20 µA = 0.5 A); power = 25000 * 3000 / 5000 = 15000 (x 400 µW = 6 W).
    const m = ina219Decode(regs(25000, 0x5dc2, 15000, 25000), cal, 0.5);
    expect(m.shunt_uV).toBe(250000);
    expect(m.bus_V).toBe(12);
    expect(m.current_A).toBeCloseTo(0.5, 12);
    expect(m.power_W).toBeCloseTo(6, 9);
    expect(m.ovf).toBe(false);
  });

  it("shifts the bus register by 3 and ignores CNVR; OVF in bit 0 is reported", () => {
    expect(ina219Decode(regs(0, (8000 << 3) | 3, 0, 0), cal, 0.5).bus_V).toBe(32);
    expect(ina219Decode(regs(0, (8000 << 3) | 3, 0, 0), cal, 0.5).ovf).toBe(true);
    expect(ina219Decode(regs(0, 1 << 3, 0, 0), cal, 0.5).bus_V).toBe(0.004);
  });

  it("handles negative shunt and current; power takes the current's sign", () => {
    const m = ina219Decode(regs(-4000, 1000 << 3, 1600, -8000), cal, 0.5);
    expect(m.shunt_uV).toBe(-40000);
    expect(m.current_A).toBeCloseTo(-0.16, 12);
    expect(m.power_W).toBeCloseTo(-0.64, 9);
  });

  it("matches the datasheet formulas for a sweep (independent arithmetic)", () => {
    for (let k = 0; k < 200; k++) {
      const sh = ((k * 4099) % 64000) - 32000;
      const bus = (k * 41) % 8001;
      const cur = Math.trunc((sh * cal) / 4096);
      const pw = Math.trunc((Math.abs(cur) * bus) / 5000);
      const m = ina219Decode(regs(sh, bus << 3, pw, cur), cal, 0.5);
      expect(m.shunt_uV).toBeCloseTo(sh * 10, 6);
      expect(m.bus_V).toBeCloseTo(bus * 0.004, 12);
      expect(m.current_A).toBeCloseTo(cur * 0.00002, 12);
      expect(Math.abs(m.power_W)).toBeCloseTo(pw * 0.0004, 9);
    }
  });
});

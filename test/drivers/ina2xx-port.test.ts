import { describe, expect, it } from "vitest";
import type { I2CBus } from "../../firmware/hal/types";
import { ina226Config } from "../../firmware/drivers/ina226";
import { ina219Config } from "../../firmware/drivers/ina219";
import { InaPort, Q_ESTIMATED, Q_FAILED, Q_OK, Q_STALE } from "../../firmware/drivers/ina2xx-port";

/**
 * A scripted register file behind a fake I2C bus: 16-bit registers by pointer, every transfer logged, NACK
 * on demand. Nothing is computed: the test sets the registers it wants the driver to see.
 */
class ScriptedChip implements I2CBus {
  regs: Record<number, number> = {};
  ptr = 0;
  nack = false;
  log: string[] = [];
  /** Called after a full 16-bit register write (reg, value). */
  onWrite: (reg: number, v: number) => void = () => {};
  constructor(readonly addr: number) {}
  writeTo(address: number, data: number | number[] | Uint8Array): void {
    const b = typeof data === "number" ? [data] : Array.from(data);
    this.log.push("w" + address.toString(16) + ":" + b.map((x) => x.toString(16)).join(","));
    if (this.nack || address !== this.addr) throw new Error("I2C Error: No ACK");
    this.ptr = b[0];
    if (b.length === 3) {
      this.regs[b[0]] = (b[1] << 8) | b[2];
      this.onWrite(b[0], this.regs[b[0]]);
    }
  }
  readFrom(address: number, quantity: number): Uint8Array {
    this.log.push("r" + address.toString(16) + ":" + quantity);
    if (this.nack || address !== this.addr) throw new Error("I2C Error: No ACK");
    const v = this.regs[this.ptr] ?? 0;
    if (this.ptr === 6) this.regs[6] = v & ~8; // reading Mask/Enable clears CVRF
    return new Uint8Array([v >> 8, v & 0xff]);
  }
}

/** An INA226 that answers its IDs and keeps what is written (config reset clears CAL). */
function ina226(addr = 0x40): ScriptedChip {
  const c = new ScriptedChip(addr);
  c.regs = { 0: 0x4127, 0xfe: 0x5449, 0xff: 0x2260 };
  c.onWrite = (reg, v) => {
    if (reg === 0 && v & 0x8000) c.regs = { 0: 0x4127, 0xfe: 0x5449, 0xff: 0x2260 };
  };
  return c;
}

const feeder226 = { addr: 0x40, chip: 226, shunt_ohm: 0.002, max_A: 32.768 }; // CAL 2560, 1 mA, 25 mW

describe("InaPort setup", () => {
  it("identifies an INA226, resets it, writes config and CAL, and reads both back", () => {
    const chip = ina226();
    const port = new InaPort(chip, [feeder226]);
    expect(port.setup(0)).toBe(true);
    const cfg = ina226Config({});
    expect(chip.log).toEqual([
      "w40:fe", "r40:2",
      "w40:ff", "r40:2",
      "w40:0,80,0",
      `w40:0,${(cfg >> 8).toString(16)},${(cfg & 0xff).toString(16)}`,
      "w40:5,a,0", // 2560 = 0x0A00
      "w40:5", "r40:2",
      "w40:0", "r40:2",
    ]);
    expect(port.quality(0)).toBe(Q_FAILED); // no measurement yet
    expect(port.counters(0)).toMatchObject({ setup: 1, badId: 0, err: 0 });
  });

  it("checks an INA219 by its power-on configuration after reset", () => {
    const chip = new ScriptedChip(0x41);
    chip.onWrite = (reg, v) => {
      if (reg === 0 && v & 0x8000) chip.regs = { 0: 0x399f };
    };
    const port = new InaPort(chip, [{ addr: 0x41, chip: 219, shunt_ohm: 0.5, max_A: 0.65536 }]);
    expect(port.setup(0)).toBe(true);
    expect(chip.regs[5]).toBe(4096);
    expect(chip.regs[0]).toBe(ina219Config({}));
    expect(chip.log.some((l) => l.startsWith("w41:fe"))).toBe(false); // the INA219 has no ID registers
  });

  it("marks a part with the wrong ID as failed and counts it", () => {
    const chip = ina226();
    chip.regs[0xff] = 0x2270;
    chip.onWrite = () => {};
    const port = new InaPort(chip, [feeder226]);
    expect(port.setup(0)).toBe(false);
    expect(port.quality(0)).toBe(Q_FAILED);
    expect(port.counters(0)).toMatchObject({ badId: 1, err: 0 });
    expect(chip.log.some((l) => l.startsWith("w40:0,"))).toBe(false); // nothing written to a stranger
  });

  it("marks an INA219 slot holding something else (config after reset is not 0x399F) as failed", () => {
    const chip = new ScriptedChip(0x40);
    chip.onWrite = (reg, v) => {
      if (reg === 0 && v & 0x8000) chip.regs = { 0: 0x4127 };
    };
    const port = new InaPort(chip, [{ addr: 0x40, chip: 219, shunt_ohm: 0.1, max_A: 3.2 }]);
    expect(port.setup(0)).toBe(false);
    expect(port.counters(0).badId).toBe(1);
  });

  it("catches the bus error of a missing chip: failed, counted, no exception", () => {
    const chip = ina226();
    chip.nack = true;
    const port = new InaPort(chip, [feeder226]);
    expect(() => port.setup(0)).not.toThrow();
    expect(port.setup(0)).toBe(false);
    expect(port.quality(0)).toBe(Q_FAILED);
    expect(port.counters(0)).toMatchObject({ err: 2, setup: 2 });
  });

  it("fails a feeder whose shunt and current give no valid CAL, without touching the bus", () => {
    const chip = ina226();
    const port = new InaPort(chip, [{ addr: 0x40, chip: 226, shunt_ohm: 0.001, max_A: 1 }]);
    expect(port.setupAll()).toBe(0);
    expect(chip.log).toEqual([]);
    expect(port.read(0)).toBeUndefined();
  });

  it("setupAll counts the feeders that answered", () => {
    const chip = ina226();
    const port = new InaPort(chip, [feeder226, { ...feeder226, addr: 0x45 }]);
    expect(port.setupAll()).toBe(1);
    expect(port.quality(1)).toBe(Q_FAILED);
  });
});

/** Puts a conversion result into the scripted INA226 and raises CVRF. */
function convert(chip: ScriptedChip, shunt: number, bus: number, power: number, current: number): void {
  chip.regs[1] = shunt & 0xffff;
  chip.regs[2] = bus;
  chip.regs[3] = power;
  chip.regs[4] = current & 0xffff;
  chip.regs[6] = (chip.regs[6] ?? 0) | 8;
}

describe("InaPort reads", () => {
  function ready(): { chip: ScriptedChip; port: InaPort } {
    const chip = ina226();
    const port = new InaPort(chip, [feeder226]);
    port.setup(0);
    return { chip, port };
  }

  it("reads mask, the four measurement registers and CAL, and decodes them", () => {
    const { chip, port } = ready();
    convert(chip, 8000, 9600, 4800, 10000);
    chip.log = [];
    const m = port.read(0)!;
    expect(chip.log.filter((l) => l[0] === "w")).toEqual(["w40:6", "w40:1", "w40:2", "w40:3", "w40:4", "w40:5"]);
    expect(m.current_mA).toBeCloseTo(10000, 6);
    expect(m.bus_mV).toBe(12000);
    expect(m.power_W).toBeCloseTo(120, 6);
    expect(port.quality(0)).toBe(Q_OK);
    expect(port.counters(0).ok).toBe(1);
  });

  it("gives nothing before the first conversion, then the value marked stale until a new one", () => {
    const { chip, port } = ready();
    expect(port.read(0)).toBeUndefined(); // registers hold power-on zeros, which are no measurement
    expect(port.quality(0)).toBe(Q_FAILED);
    convert(chip, 800, 9600, 48, 1000);
    expect(port.read(0)!.current_mA).toBeCloseTo(1000, 6);
    expect(port.quality(0)).toBe(Q_OK);
    expect(port.read(0)!.current_mA).toBeCloseTo(1000, 6); // CVRF was cleared by the last read
    expect(port.quality(0)).toBe(Q_STALE);
    expect(port.counters(0).stale).toBe(2);
  });

  it("turns a stuck ADC (no conversion for more than `stale` reads) into a failed sensor, and recovers", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 48, 1000);
    port.read(0);
    for (let k = 0; k < 3; k++) {
      expect(port.read(0)).toBeDefined();
      expect(port.quality(0)).toBe(Q_STALE);
    }
    expect(port.read(0)).toBeUndefined();
    expect(port.quality(0)).toBe(Q_FAILED);
    expect(port.counters(0).stuck).toBe(1);
    // Still stuck after a new setup: failed again at once.
    expect(port.read(0)).toBeUndefined(); // setup
    expect(port.read(0)).toBeUndefined();
    expect(port.counters(0).stuck).toBe(2);
    expect(port.quality(0)).toBe(Q_FAILED);
    // The next read sets it up again; conversions resume.
    const setups = port.counters(0).setup;
    expect(port.read(0)).toBeUndefined();
    expect(port.counters(0).setup).toBe(setups + 1);
    convert(chip, 400, 9600, 24, 500);
    expect(port.read(0)!.current_mA).toBeCloseTo(500, 6);
    expect(port.quality(0)).toBe(Q_OK);
  });

  it("a failed read is a warning that clears on the next good read", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 48, 1000);
    expect(port.read(0)).toBeDefined();
    chip.nack = true;
    expect(() => port.read(0)).not.toThrow();
    expect(port.read(0)).toBeUndefined();
    expect(port.quality(0)).toBe(Q_STALE);
    chip.nack = false;
    convert(chip, 810, 9600, 48, 1010);
    expect(port.read(0)!.current_mA).toBeCloseTo(1010, 6);
    expect(port.quality(0)).toBe(Q_OK);
    expect(port.counters(0)).toMatchObject({ err: 2, ok: 2 });
  });

  it("three failed reads in a row make the sensor failed; it is set up again when it answers", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 48, 1000);
    expect(port.read(0)).toBeDefined();
    chip.nack = true;
    port.read(0);
    port.read(0);
    expect(port.quality(0)).toBe(Q_STALE);
    port.read(0);
    expect(port.quality(0)).toBe(Q_FAILED);
    expect(port.read(0)).toBeUndefined(); // setup retried, still no answer
    chip.nack = false;
    chip.regs = { 0: 0x4127, 0xfe: 0x5449, 0xff: 0x2260 }; // it lost power meanwhile
    expect(port.read(0)).toBeUndefined(); // set up again
    expect(chip.regs[5]).toBe(2560);
    expect(port.quality(0)).toBe(Q_FAILED);
    convert(chip, 800, 9600, 48, 1000);
    expect(port.read(0)!.current_mA).toBeCloseTo(1000, 6);
    expect(port.quality(0)).toBe(Q_OK);
  });

  it("notices a chip that was reset (CAL reads 0), sets it up again and drops that reading", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 0, 0);
    chip.regs[5] = 0; // brown-out: CAL back to 0, current and power read 0
    expect(port.read(0)).toBeUndefined();
    expect(port.counters(0).recal).toBe(1);
    expect(chip.regs[5]).toBe(2560);
    expect(port.quality(0)).toBe(Q_STALE);
  });

  it("marks a saturated shunt as estimated", () => {
    const { chip, port } = ready();
    convert(chip, 0x7fff, 9600, 0, 0x7fff);
    expect(port.read(0)).toBeDefined();
    expect(port.quality(0)).toBe(Q_ESTIMATED);
  });

  it("uses CNVR in the INA219 bus register for freshness", () => {
    const chip = new ScriptedChip(0x40);
    chip.onWrite = (reg, v) => {
      if (reg === 0 && v & 0x8000) chip.regs = { 0: 0x399f };
    };
    const port = new InaPort(chip, [{ addr: 0x40, chip: 219, shunt_ohm: 0.5, max_A: 0.65536 }]);
    port.setup(0);
    Object.assign(chip.regs, { 1: 25000, 2: (3000 << 3) | 2, 3: 15000, 4: 25000 });
    const m = port.read(0)!;
    expect(m.current_mA).toBeCloseTo(500, 6);
    expect(m.bus_mV).toBe(12000);
    expect(port.quality(0)).toBe(Q_OK);
    chip.regs[2] = 3000 << 3; // CNVR clear: no new conversion
    port.read(0);
    expect(port.quality(0)).toBe(Q_STALE);
  });
});

import { describe, expect, it } from "vitest";
import type { I2CBus } from "../../firmware/hal/types";
import { ina226Config } from "../../firmware/drivers/ina226";
import { Ina226Port, InaFeeder, ina226Poll, ina226Port } from "../../firmware/drivers/ina226-port";

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

const feeder226: InaFeeder = { addr: 0x40, shunt_ohm: 0.002, max_A: 32.768 }; // CAL 2560, 1 mA, 25 mW

/** One poll; the samples it gave by key: [value, quality, time]. */
function poll(port: Ina226Port, t = 7): Record<string, [number | null, string, number]> {
  const got: Record<string, [number | null, string, number]> = {};
  ina226Poll(port, t, (k, v, q, tt) => {
    expect(got[k]).toBeUndefined(); // one sample per key and poll
    got[k] = [v, q, tt];
  });
  return got;
}

/** Feeder n's current sample [A, quality]. */
const amps = (got: Record<string, [number | null, string, number]>, n = 1) => got["feeder" + n + "_A"].slice(0, 2);
const FAILED = [null, "f"];
/** I2C errors of feeder i since boot. */
const errors = (port: Ina226Port, i = 0) => port.s[3 * i + 2];
/** The reads of one pass: Mask/Enable, 01h..05h, then the IDs. */
const PASS = ["w40:6", "w40:1", "w40:2", "w40:3", "w40:4", "w40:5", "w40:fe", "w40:ff"];

describe("INA226 port setup", () => {
  it("identifies an INA226, resets it, writes config and CAL; the next poll reads CAL back", () => {
    const chip = ina226();
    const port = ina226Port(chip, [feeder226]);
    const got = poll(port);
    const cfg = ina226Config({});
    expect(chip.log.filter((l) => l[0] === "w")).toEqual([
      ...PASS,
      "w40:0,80,0",
      `w40:0,${(cfg >> 8).toString(16)},${(cfg & 0xff).toString(16)}`,
      "w40:5,a,0", // 2560 = 0x0A00
    ]);
    expect(chip.log.filter((l) => l[0] === "r")).toEqual(Array(8).fill("r40:2"));
    // no measurement yet: every quantity of the feeder is null and failed, at the poll's time
    expect(got).toEqual({ feeder1_V: [null, "f", 7], feeder1_A: [null, "f", 7], feeder1_W: [null, "f", 7] });
    chip.log = [];
    poll(port);
    expect(chip.log.filter((l) => l[0] === "w")).toEqual(PASS); // CAL read back as written: nothing to set up
    expect(errors(port)).toBe(0);
  });

  it("without a sink a poll only sets the chips up (the board does this at start)", () => {
    const chip = ina226();
    const port = ina226Port(chip, [feeder226]);
    ina226Poll(port, 0);
    expect(chip.regs[5]).toBe(2560);
    expect(chip.regs[0]).toBe(ina226Config({}));
  });

  it("accepts TI's manufacturer ID and die 0x226 of any revision; rejects other parts, a floating bus, a dead one", () => {
    for (const [manuf, die, ok] of [
      [0x5449, 0x2260, true],
      [0x5449, 0x2261, true],
      [0x5449, 0x2270, false],
      [0x4954, 0x2260, false],
      [0xffff, 0xffff, false],
      [0, 0, false],
    ] as [number, number, boolean][]) {
      const chip = ina226();
      chip.regs[0xfe] = manuf;
      chip.regs[0xff] = die;
      chip.onWrite = () => {};
      const port = ina226Port(chip, [feeder226]);
      expect(amps(poll(port))).toEqual(FAILED);
      // nothing is written to a stranger
      expect(chip.log.some((l) => l.startsWith("w40:0,"))).toBe(!!ok);
      expect(errors(port)).toBe(0);
    }
  });

  it("catches the bus error of a missing chip: failed, counted, no exception", () => {
    const chip = ina226();
    chip.nack = true;
    const port = ina226Port(chip, [feeder226]);
    expect(() => poll(port)).not.toThrow();
    expect(amps(poll(port))).toEqual(FAILED);
    expect(errors(port)).toBe(2);
  });

  it("fails a feeder whose shunt and current give no valid CAL, without touching the bus", () => {
    const chip = ina226();
    const port = ina226Port(chip, [{ addr: 0x40, shunt_ohm: 0.001, max_A: 1 }]);
    ina226Poll(port, 0);
    expect(amps(poll(port))).toEqual(FAILED);
    expect(chip.log).toEqual([]);
  });

  it("sets up the feeders that answer; an absent one is failed and counted", () => {
    const chip = ina226();
    const port = ina226Port(chip, [feeder226, { ...feeder226, addr: 0x45 }]);
    ina226Poll(port, 0);
    expect(chip.regs[5]).toBe(2560);
    expect(errors(port, 0)).toBe(0);
    expect(errors(port, 1)).toBe(1);
    convert(chip, 800, 9600, 48, 1000);
    const got = poll(port);
    expect(amps(got, 1)[1]).toBe("o");
    expect(amps(got, 2)).toEqual(FAILED);
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

describe("INA226 port reads", () => {
  function ready(): { chip: ScriptedChip; port: Ina226Port } {
    const chip = ina226();
    const port = ina226Port(chip, [feeder226]);
    ina226Poll(port, 0);
    return { chip, port };
  }

  it("reads mask, the four measurement registers, CAL and the IDs, and gives volts, amperes and watts", () => {
    const { chip, port } = ready();
    convert(chip, 8000, 9600, 4800, 10000);
    chip.log = [];
    const got = poll(port, 12.5);
    expect(chip.log.filter((l) => l[0] === "w")).toEqual(PASS);
    expect(got.feeder1_V).toEqual([12, "o", 12.5]);
    expect(got.feeder1_A[0]).toBeCloseTo(10, 9);
    expect(got.feeder1_W[0]).toBeCloseTo(120, 9);
    expect(got.feeder1_A[1]).toBe("o");
    expect(got.feeder1_W[1]).toBe("o");
  });

  it("gives nothing before the first conversion, then the value marked stale until a new one", () => {
    const { chip, port } = ready();
    expect(amps(poll(port))).toEqual(FAILED); // registers hold power-on zeros, which are no measurement
    convert(chip, 800, 9600, 48, 1000);
    expect(amps(poll(port))).toEqual([1, "o"]);
    expect(amps(poll(port))).toEqual([1, "s"]); // CVRF was cleared by the last read
    expect(port.s[0]).toBe(1); // one poll without a conversion
  });

  it("turns a stuck ADC (no conversion for more than 3 polls) into a failed sensor, set up afresh, and recovers", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 48, 1000);
    poll(port);
    for (let k = 0; k < 3; k++) expect(amps(poll(port))).toEqual([1, "s"]);
    chip.log = [];
    expect(amps(poll(port))).toEqual(FAILED);
    expect(chip.log).toContain("w40:0,80,0"); // reset and set up again
    expect(chip.regs[5]).toBe(2560);
    // Still stuck after a new setup: failed again at once, and set up again.
    chip.log = [];
    expect(amps(poll(port))).toEqual(FAILED);
    expect(chip.log).toContain("w40:5,a,0");
    // Conversions resume.
    convert(chip, 400, 9600, 24, 500);
    expect(amps(poll(port))).toEqual([0.5, "o"]);
  });

  it("a failed read is a failed sample, counted; the next good read clears it", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 48, 1000);
    expect(amps(poll(port))).toEqual([1, "o"]);
    chip.nack = true;
    expect(() => poll(port)).not.toThrow();
    expect(amps(poll(port))).toEqual(FAILED);
    chip.nack = false;
    convert(chip, 810, 9600, 48, 1010);
    expect(amps(poll(port))).toEqual([1.01, "o"]);
    expect(errors(port)).toBe(2);
  });

  it("a chip that was away and lost power meanwhile is set up again when it answers", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 48, 1000);
    expect(amps(poll(port))[1]).toBe("o");
    chip.nack = true;
    for (let k = 0; k < 4; k++) expect(amps(poll(port))).toEqual(FAILED);
    chip.nack = false;
    chip.regs = { 0: 0x4127, 0xfe: 0x5449, 0xff: 0x2260 }; // it lost power meanwhile
    expect(amps(poll(port))).toEqual(FAILED); // set up again
    expect(chip.regs[5]).toBe(2560);
    convert(chip, 800, 9600, 48, 1000);
    expect(amps(poll(port))).toEqual([1, "o"]);
    expect(errors(port)).toBe(4);
  });

  it("notices a chip that was reset (CAL reads 0), sets it up again and drops that reading", () => {
    const { chip, port } = ready();
    convert(chip, 800, 9600, 0, 0);
    chip.regs[5] = 0; // brown-out: CAL back to 0, current and power read 0
    chip.log = [];
    expect(amps(poll(port))).toEqual(FAILED);
    expect(chip.log).toContain("w40:5,a,0");
    expect(chip.regs[5]).toBe(2560);
  });

  it("marks a saturated shunt as estimated", () => {
    const { chip, port } = ready();
    convert(chip, 0x7fff, 9600, 0, 0x7fff);
    const got = poll(port);
    expect(got.feeder1_A[0]).not.toBeNull();
    expect(got.feeder1_A[1]).toBe("e");
    expect(got.feeder1_V[1]).toBe("e");
  });
});

import { describe, expect, it } from "vitest";
import type { I2CBus } from "../../firmware/hal/types";
import { InaModel } from "../../sim/devices/ina226-model";
import { Ina226Port, ina226Poll, ina226Port } from "../../firmware/drivers/ina226-port";
import { ina226Calibrate, ina226Config } from "../../firmware/drivers/ina226";
import { ina219Calibrate, ina219Config, ina219Decode } from "../../firmware/drivers/ina219";

/** A plain I2C master that routes transfers to device models by address; NACK (throw) like Espruino's. */
function busOf(...devs: InaModel[]): I2CBus {
  const find = (a: number) => {
    const d = devs.find((x) => x.address === a);
    if (!d || d.absent) throw new Error("I2C Error: No ACK");
    return d;
  };
  return {
    writeTo(a, data) {
      find(a).write(typeof data === "number" ? [data] : Array.from(data));
    },
    readFrom(a, n) {
      return new Uint8Array(find(a).read(n));
    },
  };
}

function reg(m: InaModel, r: number): number {
  m.write([r]);
  const b = m.read(2);
  return (b[0] << 8) | b[1];
}

function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

describe("INA226 model registers", () => {
  it("powers on with the datasheet defaults and IDs", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 12, current_A: 1 }), now: c.now });
    expect(reg(m, 0)).toBe(0x4127);
    expect(reg(m, 5)).toBe(0);
    expect(reg(m, 0xfe)).toBe(0x5449);
    expect(reg(m, 0xff)).toBe(0x2260);
  });

  it("sets the pointer with one byte and writes a register with three", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 0, current_A: 0 }), now: c.now });
    m.write([5, 0x0a, 0x00]);
    expect(m.read(2)).toEqual([0x0a, 0x00]); // the pointer stays on the written register
    m.write([0xfe]);
    expect(m.read(2)).toEqual([0x54, 0x49]);
    m.write([5]);
    expect(m.read(4)).toEqual([0x0a, 0x00, 0x0a, 0x00]);
    m.write([0xfe, 0x12, 0x34]); // read-only
    expect(reg(m, 0xfe)).toBe(0x5449);
  });

  it("computes shunt, bus, current and power from CAL as the chip does: 10 A, 2 mOhm, 12 V", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 12, current_A: 10 }), now: c.now });
    m.write([5, 0x0a, 0x00]); // CAL 2560
    c.t = 0.01; // power-on config converts every 2.2 ms
    expect(reg(m, 1)).toBe(8000);
    expect(reg(m, 2)).toBe(9600);
    expect(reg(m, 4)).toBe(10000); // 8000 * 2560 / 2048
    expect(reg(m, 3)).toBe(4800); // 10000 * 9600 / 20000
  });

  it("keeps current and power at zero until CAL is written", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 12, current_A: 10 }), now: c.now });
    c.t = 0.01;
    expect(reg(m, 1)).toBe(8000);
    expect(reg(m, 4)).toBe(0);
    expect(reg(m, 3)).toBe(0);
  });

  it("finishes conversions on the configured period and flags each in CVRF until Mask/Enable is read", () => {
    const c = clock();
    let amps = 1;
    const m = new InaModel({ shunt_ohm: 0.01, source: () => ({ bus_V: 5, current_A: amps }), now: c.now });
    m.write([0, ...toBytes(ina226Config({ avg: 4, busCt_us: 1100, shuntCt_us: 1100 }))]); // 8.8 ms
    expect(m.period_s()).toBeCloseTo(0.0088, 9);
    c.t = 0.008;
    expect(reg(m, 6) & 8).toBe(0);
    expect(reg(m, 1)).toBe(0);
    c.t = 0.009;
    expect(reg(m, 6) & 8).toBe(8);
    expect(reg(m, 6) & 8).toBe(0); // cleared by the read
    expect(reg(m, 1)).toBe(4000); // 10 mV / 2.5 µV
    amps = 2;
    expect(reg(m, 1)).toBe(4000); // no new conversion yet
    c.t = 0.018;
    expect(reg(m, 1)).toBe(8000);
  });

  it("resets every register with config bit 15", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 12, current_A: 1 }), now: c.now });
    m.write([5, 0x0a, 0x00]);
    m.write([0, 0x47, 0x27]);
    m.write([0, 0x80, 0x00]);
    expect(reg(m, 0)).toBe(0x4127);
    expect(reg(m, 5)).toBe(0);
  });

  it("saturates the shunt at +-81.92 mV and flags math overflow", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.01, source: () => ({ bus_V: 12, current_A: -20 }), now: c.now });
    m.write([5, 0x7f, 0xff]);
    c.t = 0.01;
    expect(reg(m, 1)).toBe(0x8000);
    expect(reg(m, 6) & 4).toBe(4);
  });
});

describe("INA219 model registers", () => {
  it("powers on with 0x399F, shifts the bus value by 3, sets CNVR until power is read", () => {
    const c = clock();
    const m = new InaModel({ chip: 219, shunt_ohm: 0.5, source: () => ({ bus_V: 12, current_A: 0.5 }), now: c.now });
    expect(reg(m, 0)).toBe(0x399f);
    m.write([5, 0x10, 0x00]); // CAL 4096
    c.t = 0.01;
    expect(reg(m, 2)).toBe((3000 << 3) | 2);
    expect(reg(m, 1)).toBe(25000);
    expect(reg(m, 4)).toBe(25000);
    expect(reg(m, 3)).toBe(15000); // 25000 * 3000 / 5000
    expect(reg(m, 2)).toBe(3000 << 3); // CNVR cleared by the power read
  });

  it("keeps CAL even and clamps the shunt to the PGA range", () => {
    const c = clock();
    const m = new InaModel({ chip: 219, shunt_ohm: 0.1, source: () => ({ bus_V: 5, current_A: 1 }), now: c.now });
    m.write([5, 0x10, 0x01]);
    expect(reg(m, 5)).toBe(0x1000);
    m.write([0, 0x01, 0x9f]); // PG = 0: +-40 mV
    c.t = 0.01;
    expect(reg(m, 1)).toBe(4000); // 100 mV clipped to 40 mV
  });
});

describe("INA model faults", () => {
  it("absent: every transfer is NACKed", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 12, current_A: 1 }), now: c.now });
    m.absent = true;
    expect(() => m.write([0])).toThrow(/ACK/);
    expect(() => m.read(2)).toThrow(/ACK/);
  });

  it("stuck: no conversion finishes and the registers keep their values", () => {
    const c = clock();
    let amps = 1;
    const m = new InaModel({ shunt_ohm: 0.01, source: () => ({ bus_V: 12, current_A: amps }), now: c.now });
    c.t = 0.01;
    expect(reg(m, 1)).toBe(4000);
    m.stuck = true;
    amps = 2;
    c.t = 1;
    reg(m, 6);
    expect(reg(m, 1)).toBe(4000);
    expect(reg(m, 6) & 8).toBe(0);
  });

  it("wrong ID: the ID registers read as another part's", () => {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 12, current_A: 1 }), now: c.now });
    m.wrongId = true;
    expect(reg(m, 0xfe)).not.toBe(0x5449);
  });
});

function toBytes(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

/** One poll of the port: feeder n's [bus V, A, W] and quality, or null values and "f". */
function pollPort(port: Ina226Port): { V: number | null; A: number | null; W: number | null; q: string }[] {
  const out: { V: number | null; A: number | null; W: number | null; q: string }[] = port.f.map(() => ({ V: null, A: null, W: null, q: "" }));
  ina226Poll(port, 0, (k, v, q) => {
    const m = /^feeder(\d+)_([VAW])$/.exec(k)!;
    const f = out[+m[1] - 1];
    f[m[2] as "V" | "A" | "W"] = v;
    f.q = q;
  });
  return out;
}

describe("round trip: values -> model registers -> driver -> values", () => {
  it("INA226: bus within 1.25 mV, current within one current LSB plus half a shunt step, power likewise", () => {
    const c = clock();
    let now = { bus_V: 0, current_A: 0 };
    const R = 0.002;
    const maxA = 20;
    const m = new InaModel({ address: 0x44, shunt_ohm: R, source: () => now, now: c.now });
    const bus = busOf(m);
    const port = ina226Port(bus, [{ addr: 0x44, shunt_ohm: R, max_A: maxA }]);
    ina226Poll(port, 0);
    expect(reg(m, 5)).toBe(ina226Calibrate(R, maxA));
    const iLsb_A = 0.00512 / (ina226Calibrate(R, maxA) * R);
    const pLsb_W = 25 * iLsb_A;
    const shuntStep_A = 2.5e-6 / R;
    let worstI = 0;
    for (let k = 0; k < 400; k++) {
      now = { bus_V: 10 + (k % 37) * 0.4173, current_A: -19 + k * 0.0951 };
      c.t += 1;
      const r = pollPort(port)[0];
      expect(r.q).toBe("o");
      const errI = Math.abs(r.A! - now.current_A);
      worstI = Math.max(worstI, errI);
      expect(errI).toBeLessThanOrEqual(iLsb_A + shuntStep_A / 2 + 1e-12);
      expect(Math.abs(r.V! - now.bus_V)).toBeLessThanOrEqual(0.000625 + 1e-12);
      const p = now.bus_V * now.current_A;
      const tolP = pLsb_W + now.bus_V * (iLsb_A + shuntStep_A / 2) + Math.abs(now.current_A) * 0.000625;
      expect(Math.abs(r.W! - p)).toBeLessThanOrEqual(tolP);
      expect(Math.sign(r.W!)).toBe(Math.sign(Math.round(now.current_A / shuntStep_A)));
    }
    expect(worstI).toBeGreaterThan(0); // the test really sees quantisation
    expect(port.s[2]).toBe(0); // no I2C errors
  });

  it("INA226 shunt voltage: the decode of the model's registers within half a 2.5 µV step", () => {
    // The port reports bus volts, current and power; the shunt voltage is in the same decode.
    const c = clock();
    let now = { bus_V: 12, current_A: 0 };
    const R = 0.002;
    const m = new InaModel({ shunt_ohm: R, source: () => now, now: c.now });
    const port = ina226Port(busOf(m), [{ addr: 0x40, shunt_ohm: R, max_A: 20 }]);
    ina226Poll(port, 0);
    for (let k = 0; k < 50; k++) {
      now = { bus_V: 12, current_A: -19 + k * 0.77 };
      c.t += 1;
      expect(pollPort(port)[0].q).toBe("o");
      const sh = ((port.r[2] << 24) >> 16) | port.r[3]; // register 01h as the port read it
      expect(Math.abs(sh * 2.5 - now.current_A * R * 1e6)).toBeLessThanOrEqual(1.25 + 1e-9);
    }
  });

  it("INA219 (decode only; the board's port drives INA226s): bus within 2 mV, current within one current LSB plus half a 10 µV shunt step", () => {
    const c = clock();
    let now = { bus_V: 0, current_A: 0 };
    const R = 0.1;
    const maxA = 3.2;
    const m = new InaModel({ chip: 219, address: 0x41, shunt_ohm: R, source: () => now, now: c.now });
    const cal = ina219Calibrate(R, maxA);
    const cfg = ina219Config({});
    m.write([0, cfg >> 8, cfg & 0xff]);
    m.write([5, cal >> 8, cal & 0xff]);
    const iLsb_A = 0.04096 / (cal * R);
    const shuntStep_A = 10e-6 / R;
    for (let k = 0; k < 300; k++) {
      now = { bus_V: 3 + (k % 29) * 0.9, current_A: -3 + k * 0.0199 };
      c.t += 1;
      const b: number[] = [];
      for (let r = 1; r <= 4; r++) {
        const v = reg(m, r);
        b.push(v >> 8, v & 0xff);
      }
      expect(b[3] & 2).toBe(2); // CNVR: a new conversion
      const r = ina219Decode(b, cal, R);
      expect(Math.abs(r.current_A - now.current_A)).toBeLessThanOrEqual(iLsb_A + shuntStep_A / 2 + 1e-12);
      expect(Math.abs(r.bus_V - now.bus_V)).toBeLessThanOrEqual(0.002 + 1e-9);
    }
  });

  it("two feeders on one bus keep their own values", () => {
    const c = clock();
    const a = new InaModel({ address: 0x40, shunt_ohm: 0.002, source: () => ({ bus_V: 24, current_A: 5 }), now: c.now });
    const b = new InaModel({ address: 0x41, shunt_ohm: 0.002, source: () => ({ bus_V: 24, current_A: -3 }), now: c.now });
    const port = ina226Port(busOf(a, b), [
      { addr: 0x40, shunt_ohm: 0.002, max_A: 20 },
      { addr: 0x41, shunt_ohm: 0.002, max_A: 20 },
    ]);
    ina226Poll(port, 0);
    expect([reg(a, 5), reg(b, 5)]).toEqual([ina226Calibrate(0.002, 20), ina226Calibrate(0.002, 20)]);
    c.t = 1;
    const r = pollPort(port);
    expect(r[0].A!).toBeCloseTo(5, 2);
    expect(r[1].A!).toBeCloseTo(-3, 2);
  });
});

describe("faults end to end", () => {
  function rig() {
    const c = clock();
    const m = new InaModel({ shunt_ohm: 0.002, source: () => ({ bus_V: 13, current_A: 4 }), now: c.now });
    const port = ina226Port(busOf(m), [{ addr: 0x40, shunt_ohm: 0.002, max_A: 20 }]);
    const step = () => {
      c.t += 1;
      return pollPort(port)[0];
    };
    return { c, m, port, step };
  }

  it("absent chip: failed at setup, found when it answers", () => {
    const { m, port, step } = rig();
    m.absent = true;
    ina226Poll(port, 0);
    expect(step().q).toBe("f");
    m.absent = false;
    expect(step().A).toBeNull(); // set up; the chip restarts its conversions
    const r = step();
    expect(r.A!).toBeCloseTo(4, 2);
    expect(r.q).toBe("o");
    expect(port.s[2]).toBe(2); // I2C errors
  });

  it("wrong ID: failed; never configured", () => {
    const { m, port, step } = rig();
    m.wrongId = true;
    ina226Poll(port, 0);
    expect(step()).toEqual({ V: null, A: null, W: null, q: "f" });
    expect(reg(m, 5)).toBe(0);
    m.wrongId = false;
    step();
    expect(step().V).toBe(13);
  });

  it("stuck ADC: stale values, then failed; recovers when conversions resume", () => {
    const { m, port, step } = rig();
    ina226Poll(port, 0);
    expect(step().q).toBe("o");
    m.stuck = true;
    for (let k = 0; k < 3; k++) {
      const r = step();
      expect(r.A!).toBeCloseTo(4, 2);
      expect(r.q).toBe("s");
    }
    expect(step()).toEqual({ V: null, A: null, W: null, q: "f" });
    expect(step().q).toBe("f");
    m.stuck = false;
    step(); // set up again: new conversions under way
    const r = step();
    expect(r.A!).toBeCloseTo(4, 2);
    expect(r.q).toBe("o");
  });

  it("brown-out (power cycle): CAL lost is noticed, the chip set up again, readings resume", () => {
    const { m, port, step } = rig();
    ina226Poll(port, 0);
    expect(step().q).toBe("o");
    m.powerCycle();
    expect(step().A).toBeNull();
    expect(reg(m, 5)).toBe(ina226Calibrate(0.002, 20));
    expect(step().A!).toBeCloseTo(4, 2);
  });

  it("a chip that drops off the bus for a read: failed sample, then the next good read clears it", () => {
    const { m, port, step } = rig();
    ina226Poll(port, 0);
    step();
    m.absent = true;
    expect(step().q).toBe("f");
    m.absent = false;
    const r = step();
    expect(r.A).not.toBeNull();
    expect(r.q).toBe("o");
  });
});

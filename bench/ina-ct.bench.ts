// Throughput of the INA226/INA219 and CT clamp drivers on Node (the interpreter is orders of magnitude slower;
// these figures compare changes to the code, they say nothing about a board).

import type { I2CBus } from "../firmware/hal/types";
import { ina226Calibrate, ina226Decode } from "../firmware/drivers/ina226";
import { InaPort } from "../firmware/drivers/ina2xx-port";
import { CtRms } from "../firmware/drivers/ct-clamp";
import { CtPort } from "../firmware/drivers/ct-clamp-port";
import { InaModel } from "../sim/devices/ina226-model";
import { acVoltageWaveform, ctWaveform } from "../sim/devices/ct-waveform";

/** Runs fn(n) with n doubling until it takes at least minMs; returns operations per second. */
function rate(fn: (n: number) => void, minMs = 200): number {
  let n = 1000;
  for (;;) {
    const t0 = performance.now();
    fn(n);
    const ms = performance.now() - t0;
    if (ms >= minMs) return Math.round((n * 1000) / ms);
    n *= ms < minMs / 8 ? 8 : 2;
  }
}

export async function bench(): Promise<Record<string, number>> {
  // CT: 2,000 precomputed samples of 10 A with noise and a harmonic, fed round and round.
  const src = ctWaveform({ irms_A: 10, harmonic: { n: 3, frac: 0.2 }, noise: { rms: 0.0003, seed: 1 } });
  const vsrc = acVoltageWaveform({ vrms_V: 230, vcal: 325 });
  const si = new Float64Array(2000);
  const sv = new Float64Array(2000);
  for (let k = 0; k < 2000; k++) {
    si[k] = src(k / 100000);
    sv[k] = vsrc(k / 100000);
  }
  const acc = new CtRms({ ical: 2000 / 33 });
  const accV = new CtRms({ ical: 2000 / 33, vcal: 325, phase: 0.5 });
  let sink = 0;

  const ctRms = rate((n) => {
    for (let k = 0; k < n; k++) acc.add(si[k % 2000]);
    sink += acc.result()!.current_A;
    acc.clear();
  });
  const ctRmsV = rate((n) => {
    for (let k = 0; k < n; k++) accV.add(si[k % 2000], sv[k % 2000]);
    sink += accV.result()!.power_W!;
    accV.clear();
  });

  // The port's loop with a clock that moves 1 µs per read: cost of the window bookkeeping on top of add().
  const c = { t: 0 };
  const port = new CtPort(
    new CtRms({ ical: 2000 / 33 }),
    () => {
      c.t += 1e-6;
      return si[(c.t * 1e6) % 2000 | 0];
    },
    () => c.t,
    { cycles: 10, max: 100000 },
  );
  const ctPort = rate((n) => {
    let done = 0;
    while (done < n) done += port.burst()!.n;
  });

  // INA226 decode of 8 register bytes.
  const cal = ina226Calibrate(0.002, 20)!;
  const regs = new Uint8Array([0x1f, 0x40, 0x25, 0x80, 0x12, 0xc0, 0x27, 0x10]);
  const decode = rate((n) => {
    for (let k = 0; k < n; k++) {
      regs[7] = k & 0xff;
      sink += ina226Decode(regs, cal).current_mA;
    }
  });

  // A whole feeder read (6 register reads) through the device model on a routed fake bus.
  const clk = { t: 0 };
  const model = new InaModel({ shunt_ohm: 0.002, source: (t) => ({ bus_V: 12 + Math.sin(t), current_A: 5 }), now: () => clk.t });
  const bus: I2CBus = {
    writeTo: (_a, d) => model.write(typeof d === "number" ? [d] : Array.from(d)),
    readFrom: (_a, q) => new Uint8Array(model.read(q)),
  };
  const ina = new InaPort(bus, [{ addr: 0x40, chip: 226, shunt_ohm: 0.002, max_A: 20 }]);
  ina.setup(0);
  const portReads = rate((n) => {
    for (let k = 0; k < n; k++) {
      clk.t += 1;
      sink += ina.read(0)?.current_mA ?? 0;
    }
  });

  if (sink === 0.123456789) console.log(sink); // keep the work observable
  return {
    "ct.rms.samplesPerSecond.node": ctRms,
    "ct.rmsWithVoltage.samplesPerSecond.node": ctRmsV,
    "ct.port.samplesPerSecond.node": ctPort,
    "ina226.decode.readsPerSecond.node": decode,
    "ina226.portWithModel.readsPerSecond.node": portReads,
  };
}

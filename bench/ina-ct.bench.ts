// Throughput of the INA226 and CT clamp drivers on Node (the interpreter is orders of magnitude slower;
// these figures compare changes to the code, they say nothing about a board).

import type { I2CBus } from "../firmware/hal/types";
import { ina226Calibrate, ina226Decode } from "../firmware/drivers/ina226";
import { ina226Poll, ina226Port } from "../firmware/drivers/ina226-port";
import { CtClamp, ctMeasure } from "../firmware/drivers/ct-clamp-port";
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
  let sink = 0;
  // The sampling loop with a frozen clock, each window ending at 2,000 samples: the cost of one sample.
  let k = 0;
  const hw = { pin: (name: string) => name, analogRead: (pin: string) => (pin === "I" ? si[k++ % 2000] : sv[k % 2000]) };
  const frozen = { seconds: () => 0 };
  const clamp: CtClamp = { pin: "I", ical: 2000 / 33, V: 230 };
  const clampV: CtClamp = { pin: "I", ical: 2000 / 33, V: 230, vpin: "U", vcal: 325, phase: 0.5 };
  const ctRms = rate((n) => {
    sink += ctMeasure(new Float64Array(7), clamp, hw, frozen, 50, Math.ceil(n / 2000), 2000)!.current_A;
  });
  const ctRmsV = rate((n) => {
    sink += ctMeasure(new Float64Array(7), clampV, hw, frozen, 50, Math.ceil(n / 2000), 2000)!.power_W!;
  });

  // The same loop on a clock that moves 1 µs per read: the window bookkeeping on top of the sums.
  const c = { t: 0 };
  const hwT = {
    pin: (name: string) => name,
    analogRead: () => {
      c.t += 1e-6;
      return si[(c.t * 1e6) % 2000 | 0];
    },
  };
  const ctPort = rate((n) => {
    let done = 0;
    while (done < n) {
      const s = new Float64Array(7);
      ctMeasure(s, clamp, hwT, { seconds: () => c.t }, 50, 10, 100000);
      done += s[0];
    }
  });

  // INA226 decode of 8 register bytes.
  const cal = ina226Calibrate(0.002, 20);
  const regs = new Uint8Array([0x1f, 0x40, 0x25, 0x80, 0x12, 0xc0, 0x27, 0x10]);
  const decode = rate((n) => {
    for (let k = 0; k < n; k++) {
      regs[7] = k & 0xff;
      sink += ina226Decode(regs, cal, 0.002).current_A;
    }
  });

  // A whole feeder poll (8 register reads) through the device model on a routed fake bus.
  const clk = { t: 0 };
  const model = new InaModel({ shunt_ohm: 0.002, source: (t) => ({ bus_V: 12 + Math.sin(t), current_A: 5 }), now: () => clk.t });
  const bus: I2CBus = {
    writeTo: (_a, d) => model.write(typeof d === "number" ? [d] : Array.from(d)),
    readFrom: (_a, q) => new Uint8Array(model.read(q)),
  };
  const ina = ina226Port(bus, [{ addr: 0x40, shunt_ohm: 0.002, max_A: 20 }]);
  ina226Poll(ina, 0);
  const portReads = rate((n) => {
    for (let k = 0; k < n; k++) {
      clk.t += 1;
      ina226Poll(ina, clk.t, (key, v) => {
        if (key === "feeder1_A") sink += v ?? 0;
      });
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

import { describe, expect, it } from "vitest";
import { EPEVER_TRACER, epeverLive } from "../../firmware/drivers/maps/epever-tracer";
import { Values } from "../../firmware/drivers/modbus-map";
import { COUNTER_NAMES, ModbusMaster, Q_FAILED, Q_OK, Q_STALE } from "../../firmware/drivers/modbus-master";
import { ModbusPoller } from "../../firmware/drivers/modbus-poll";
import { RETRIES, startModbusReader } from "../../firmware/drivers/modbus-reader";
import { E_CRC, E_SHORT, E_TIMEOUT } from "../../firmware/drivers/modbus-rtu";
import { fillFromRecord } from "../../sim/devices/modbus-image";
import { ModbusSlave, SlaveFault } from "../../sim/devices/modbus-slave";
import { VirtualBus } from "./modbus-bus";

const VALUES: Values = { pv_V: 18.5, battery_V: 13.1, load_W: 42.5, soc_pct: 80, energy_generated_total_kWh: 321.09, battery_net_A: -1.5 };

function site(seed = 7) {
  const slave = new ModbusSlave({ id: 1, delay_ms: 8, slow_ms: 1500, seed });
  fillFromRecord(slave, epeverLive(), VALUES);
  const bus = new VirtualBus();
  bus.attach(slave);
  const master = new ModbusMaster({ port: bus.port, baud: 115200, clock: bus.clock, timers: bus.timers, de: bus.setDriverEnable, timeout_ms: 200, retries: 2, failAfter: 3 });
  master.start();
  const poller = new ModbusPoller(master, 1, epeverLive());
  const poll = () => {
    let out: { v: Values; q: number } | null = null;
    expect(poller.poll((v, q) => (out = { v, q }))).toBe(true);
    bus.runUntil(() => out !== null);
    expect(out).not.toBeNull();
    bus.run(bus.now_ms + 2000); // let late answers of a slow device drain before the next poll
    return out!;
  };
  return { slave, bus, master, poll };
}

describe("faults: counted per slave, reported as quality, never thrown, recovered from", () => {
  const cases: [SlaveFault, number[]][] = [
    ["unplugged", [E_TIMEOUT]],
    ["slow", [E_TIMEOUT]],
    ["badCrc", [E_CRC]],
    ["truncated", [E_SHORT]],
    ["garbage", []], // random bytes: whatever the parser finds wrong with them
  ];
  for (const [fault, reasons] of cases) {
    it(fault, () => {
      const { slave, master, poll } = site();
      const first = poll();
      expect(first.q).toBe(Q_OK);
      expect(first.v.battery_V).toBe(13.1);
      slave.setFault(fault);
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = poll();
        seen.push(r.q);
        if (r.q === Q_STALE) expect(r.v.battery_V).toBe(13.1); // held from the last good poll
        if (r.q === Q_FAILED) expect(Object.values(r.v).every((x) => x === null)).toBe(true);
      }
      expect(seen).toEqual([Q_STALE, Q_STALE, Q_FAILED, Q_FAILED]);
      const c = master.counters(1);
      const failedAttempts = 4 * 3; // 4 polls, each stops at its first block after 3 attempts
      for (const e of reasons) expect(c[e], COUNTER_NAMES[e]).toBe(failedAttempts);
      const rejected = [1, 2, 3, 4, 5, 6, 8].reduce((n, e) => n + c[e], 0);
      expect(rejected).toBe(failedAttempts);
      expect(master.stats(1)).toMatchObject({ failed: 4, retries: 8, quality: "failed" });
      expect(slave.stats.faulted).toBeGreaterThanOrEqual(fault === "slow" ? 4 : failedAttempts);
      slave.setFault("none");
      const back = poll();
      expect(back.q).toBe(Q_OK);
      expect(back.v).toMatchObject(VALUES);
      expect(master.stats(1).quality).toBe("ok");
    });
  }

  it("a slow device's late answers are dropped as stray bytes, not taken for another request's answer", () => {
    const { slave, master, poll } = site();
    poll();
    slave.setFault("slow");
    poll();
    expect(master.stray).toBeGreaterThan(0);
    expect(slave.stats.busy).toBeGreaterThan(0); // retries arrived while it was still working on the first
  });

  it("switching faults at random never throws and every failed attempt has a counted reason", () => {
    const { slave, master, poll } = site(99);
    const faults: SlaveFault[] = ["none", "unplugged", "garbage", "truncated", "badCrc", "slow"];
    let seed = 5;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 48271) % 0x7fffffff;
      slave.setFault(faults[seed % faults.length]);
      const r = poll();
      expect([Q_OK, Q_STALE, Q_FAILED]).toContain(r.q);
    }
    slave.setFault("none");
    expect(poll().q).toBe(Q_OK);
    const s = master.stats(1);
    const rejected = ["truncated", "crc", "wrong slave", "wrong function", "byte count", "echo mismatch", "timeout"]
      .reduce((n, k) => n + (s[k] as number), 0);
    expect(rejected).toBe((s.retries as number) + (s.failed as number));
  });
});

// The same faults against the board's reader (modbus-reader.ts), which publishes quantities.
describe("faults on the board's reader: counted, reported as quality, held then null, recovered from", () => {
  function boardSite(seed = 7) {
    const slave = new ModbusSlave({ id: 1, delay_ms: 8, slow_ms: 1500, seed });
    fillFromRecord(slave, epeverLive(), VALUES);
    const bus = new VirtualBus();
    bus.attach(slave);
    const samples: { [k: string]: number | null }[] = [];
    const quality: string[] = [];
    let cur: { [k: string]: number | null } = {};
    const reader = startModbusReader(bus.port, 115200, bus.setDriverEnable, 1, EPEVER_TRACER, bus.clock, (k, v, q) => {
      cur[k] = v;
      if (k === "battery_W") {
        samples.push(cur);
        quality.push(q);
        cur = {};
      }
    }, bus.setTimer, bus.clearTimer);
    const poll = () => {
      const n = samples.length;
      expect(reader.poll(true)).toBe(true);
      bus.runUntil(() => samples.length > n);
      expect(samples.length).toBe(n + 1);
      bus.run(bus.now_ms + 2000); // let late answers of a slow device drain before the next poll
      return { v: samples[n], q: quality[n] };
    };
    return { slave, reader, poll };
  }
  const published = { pv_V: 18.5, battery_V: 13.1, load_W: 42.5, battery_soc_pct: 80, battery_A: -1.5 };

  const cases: [SlaveFault, number[]][] = [
    ["unplugged", [E_TIMEOUT]],
    ["slow", [E_TIMEOUT]],
    ["badCrc", [E_CRC]],
    ["truncated", [E_SHORT]],
    ["garbage", []],
  ];
  for (const [fault, reasons] of cases) {
    it(fault, () => {
      const { slave, reader, poll } = boardSite();
      const first = poll();
      expect(first.q).toBe("o");
      expect(first.v).toMatchObject(published);
      slave.setFault(fault);
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = poll();
        seen.push(r.q);
        if (r.q === "s") expect(r.v).toMatchObject(published); // held from the last good poll
        if (r.q === "f") expect(Object.values(r.v).every((x) => x === null)).toBe(true);
      }
      expect(seen).toEqual(["s", "s", "f", "f"]);
      const c = reader.c;
      const failedAttempts = 4 * (RETRIES + 1); // 4 polls, each stops at its first block after every attempt
      for (const e of reasons) expect(c[e], COUNTER_NAMES[e]).toBe(failedAttempts);
      expect([1, 2, 3, 4, 5, 6, 8].reduce((n, e) => n + c[e], 0)).toBe(failedAttempts);
      expect([c[9], c[10]]).toEqual([4, 4 * RETRIES]); // failed transactions, retries
      expect(slave.stats.faulted).toBeGreaterThanOrEqual(fault === "slow" ? 4 : failedAttempts);
      slave.setFault("none");
      const back = poll();
      expect(back.q).toBe("o");
      expect(back.v).toMatchObject(published);
    });
  }

  it("a slow device's late answers are dropped as stray bytes, not taken for another request's answer", () => {
    const { slave, reader, poll } = boardSite();
    poll();
    slave.setFault("slow");
    poll();
    expect(reader.c[11]).toBeGreaterThan(0);
    expect(slave.stats.busy).toBeGreaterThan(0);
  });

  it("switching faults at random never throws and every failed attempt has a counted reason", () => {
    const { slave, reader, poll } = boardSite(99);
    const faults: SlaveFault[] = ["none", "unplugged", "garbage", "truncated", "badCrc", "slow"];
    let seed = 5;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 48271) % 0x7fffffff;
      slave.setFault(faults[seed % faults.length]);
      expect(["o", "s", "f"]).toContain(poll().q);
    }
    slave.setFault("none");
    expect(poll().q).toBe("o");
    const c = reader.c;
    expect([1, 2, 3, 4, 5, 6, 8].reduce((n, e) => n + c[e], 0)).toBe(c[10] + c[9]);
  });
});

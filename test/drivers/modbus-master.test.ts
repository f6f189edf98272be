import { describe, expect, it } from "vitest";
import { defineMap } from "../../firmware/drivers/modbus-map";
import { C_OK, ModbusMaster, Q_FAILED, Q_OK, Q_STALE } from "../../firmware/drivers/modbus-master";
import { ModbusPoller } from "../../firmware/drivers/modbus-poll";
import { adu, E_CRC, E_EXCEPTION, E_SHORT, E_SLAVE, E_TIMEOUT, OK, Reply } from "../../firmware/drivers/modbus-rtu";
import { VirtualBus } from "../sim/modbus-bus";
import type { SerialDevice } from "../../sim/devices/types";
import { bytesToBin, scripted } from "./modbus-fixture";

const ANSWER = bytesToBin(adu([1, 4, 2, 0x05, 0x10])); // 12.96 V

function setup(dev: SerialDevice, opts: Partial<ConstructorParameters<typeof ModbusMaster>[0]> = {}) {
  const bus = new VirtualBus();
  bus.attach(dev);
  const master = new ModbusMaster({ port: bus.port, baud: 9600, clock: bus.clock, timers: bus.timers, de: bus.setDriverEnable, timeout_ms: 100, retries: 2, ...opts });
  master.start();
  return { bus, master };
}

function read(bus: VirtualBus, master: ModbusMaster, slave = 1): { r: Reply; t: number } {
  let out: { r: Reply; t: number } | null = null;
  master.read(slave, 4, 0x3104, 1, (r) => (out = { r, t: bus.now_ms }));
  bus.runUntil(() => out !== null);
  return out!;
}

describe("ModbusMaster on a fake serial line and a virtual clock", () => {
  it("drives DE high for the request and drops it once the last byte has left, before the answer", () => {
    const dev = scripted(() => [[15, ANSWER]]);
    const { bus, master } = setup(dev);
    const { r } = read(bus, master);
    expect(r.e).toBe(OK);
    expect(Array.from(r.v!)).toEqual([0x0510]);
    // 8 bytes + 1 character margin at 9600 8N1 = 9.375 ms -> 10 ms
    expect(bus.de).toEqual([{ t: 0, on: true }, { t: 10, on: false }]);
    expect(bus.written[0].t).toBe(0);
    expect(bus.received[0].t).toBe(15);
  });

  it("scales the DE hold time with baud rate and frame length", () => {
    const dev = scripted(() => [[5, bytesToBin(adu([1, 0x10, 0x90, 0x13, 0, 3]))]]);
    const { bus, master } = setup(dev, { baud: 115200 });
    let done = false;
    master.writeMultiple(1, 0x9013, [1, 2, 3], () => (done = true));
    bus.runUntil(() => done);
    // 15 bytes + 1 at 115200 = 1.39 ms -> 2 ms
    expect(bus.de.map((d) => d.t)).toEqual([0, 2]);
  });

  it("retries after a timeout and succeeds, counting one timeout and one retry", () => {
    const dev = scripted((_req, n) => (n === 1 ? null : [[10, ANSWER]]));
    const { bus, master } = setup(dev);
    const { r, t } = read(bus, master);
    expect(r.e).toBe(OK);
    expect(dev.requests.length).toBe(2);
    // timeout = 10 ms on the wire + 100 ms, then a 5 ms turnaround, then 10 ms to the answer
    expect(t).toBe(125);
    expect(master.stats(1)).toMatchObject({ ok: 1, timeout: 1, retries: 1, failed: 0, quality: "ok" });
  });

  it("gives up after the retries with the last reason, and the slave becomes stale then failed", () => {
    let n = 0;
    const flaky = scripted(() => (n++ === 0 ? [[10, ANSWER]] : null));
    const f = setup(flaky, { failAfter: 2 });
    expect(read(f.bus, f.master).r.e).toBe(OK);
    const r1 = read(f.bus, f.master).r;
    expect(r1.e).toBe(E_TIMEOUT);
    expect(f.master.quality(1)).toBe(Q_STALE);
    read(f.bus, f.master);
    expect(f.master.quality(1)).toBe(Q_FAILED);
    expect(f.master.stats(1)).toMatchObject({ ok: 1, timeout: 6, retries: 4, failed: 2, quality: "failed" });
    expect(flaky.requests.length).toBe(7);
  });

  it("reports a slave that never answered as failed", () => {
    const { master } = setup(scripted(() => null));
    expect(master.quality(7)).toBe(Q_FAILED);
    expect(master.stats(7)).toMatchObject({ ok: 0, quality: "failed" });
  });

  it("recovers as soon as the slave answers again", () => {
    let silent = true;
    const dev = scripted(() => (silent ? null : [[10, ANSWER]]));
    const { bus, master } = setup(dev, { retries: 0 });
    silent = false;
    read(bus, master);
    silent = true;
    for (let i = 0; i < 4; i++) read(bus, master);
    expect(master.quality(1)).toBe(Q_FAILED);
    silent = false;
    expect(read(bus, master).r.e).toBe(OK);
    expect(master.quality(1)).toBe(Q_OK);
    expect(master.counters(1)[C_OK]).toBe(2);
  });

  it("rejects a bad CRC, a truncated answer and another slave's answer, retrying each", () => {
    const bad = ANSWER.slice(0, -1) + "\x00";
    const other = bytesToBin(adu([2, 4, 2, 0x05, 0x10]));
    const answers = [bad, ANSWER.slice(0, 4), other, ANSWER];
    const dev = scripted((_req, n) => [[10, answers[n - 1]]]);
    const { bus, master } = setup(dev, { retries: 3 });
    const { r } = read(bus, master);
    expect(r.e).toBe(OK);
    const c = master.counters(1);
    expect([c[E_CRC], c[E_SHORT], c[E_SLAVE]]).toEqual([1, 1, 1]);
    expect(master.stats(1)).toMatchObject({ ok: 1, retries: 3 });
  });

  it("takes an exception as an answer: no retry, slave alive", () => {
    const dev = scripted(() => [[10, bytesToBin(adu([1, 0x84, 2]))]]);
    const { bus, master } = setup(dev);
    const { r } = read(bus, master);
    expect([r.e, r.x]).toEqual([E_EXCEPTION, 2]);
    expect(dev.requests.length).toBe(1);
    expect(master.quality(1)).toBe(Q_OK);
    expect(master.stats(1)).toMatchObject({ exception: 1, ok: 0 });
  });

  it("assembles an answer split over chunks, and cuts by silence an answer that stops early", () => {
    const dev = scripted((_req, n) =>
      n === 1 ? [[10, ANSWER.slice(0, 2)], [12, ANSWER.slice(2, 5)], [13, ANSWER.slice(5)]] : [[10, ANSWER.slice(0, 5)]]);
    const { bus, master } = setup(dev, { retries: 0 });
    expect(read(bus, master).r.e).toBe(OK);
    const t0 = bus.now_ms;
    const { r, t } = read(bus, master);
    expect(r.e).toBe(E_SHORT); // after 3.5 characters of silence, not after the 100 ms timeout
    expect(t - t0).toBeLessThan(30);
  });

  it("keeps one request in flight and runs queued requests in order", () => {
    const dev = scripted((req) => [[10, bytesToBin(adu([1, 4, 2, 0, req.charCodeAt(3)]))]]);
    const { bus, master } = setup(dev);
    const got: number[] = [];
    for (let a = 0; a < 5; a++) master.read(1, 4, 0x3100 + a, 1, (r) => got.push(r.v![0]));
    bus.runUntil(() => got.length === 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    const times = bus.written.map((w) => w.t);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(10 + 5);
  });

  it("counts bytes that arrive with no request in flight, and broadcasts without waiting", () => {
    const dev = scripted(() => null);
    const { bus, master } = setup(dev);
    (dev as unknown as { requests: string[] }).requests.length = 0;
    bus.attach({ attach: (line) => line.schedule(1, () => line.sendToFirmware("\x01\x02\x03")) });
    bus.run(5);
    expect(master.stray).toBe(3);
    let r: Reply | null = null;
    master.writeSingle(0, 0x9001, 5, (x) => (r = x));
    bus.runUntil(() => r !== null);
    expect(r!.e).toBe(OK);
    expect(bus.now_ms).toBeLessThan(30);
  });

  it("answers a request outside the specification without sending it", () => {
    const dev = scripted(() => [[10, ANSWER]]);
    const { bus, master } = setup(dev);
    let r: Reply | null = null;
    master.read(1, 4, 0, 200, (x) => (r = x));
    bus.runUntil(() => r !== null);
    expect(r!.e).not.toBe(OK);
    expect(dev.requests.length).toBe(0);
  });

  it("survives a callback that throws: the bus goes on", () => {
    const dev = scripted(() => [[10, ANSWER]]);
    const { bus, master } = setup(dev);
    master.read(1, 4, 0x3104, 1, () => {
      throw new Error("consumer bug");
    });
    expect(() => bus.run(50)).toThrow("consumer bug");
    const { r } = read(bus, master);
    expect(r.e).toBe(OK);
  });
});

describe("ModbusPoller quality: ok, stale with held values, failed with nulls, recovery", () => {
  it("walks through the states as the slave goes silent and comes back", () => {
    let silent = false;
    let volts = 0x0510;
    const dev = scripted(() => (silent ? null : [[10, bytesToBin(adu([1, 4, 2, volts >> 8, volts & 0xff]))]]));
    const { bus, master } = setup(dev, { retries: 1, failAfter: 3 });
    const poller = new ModbusPoller(master, 1, defineMap("t", [["battery_V", 0x3104, 1, 0, -2]]));
    const poll = () => {
      let out: [number | string | null, number] | null = null;
      poller.poll((v, q) => (out = [v.battery_V, q]));
      bus.runUntil(() => out !== null);
      return out!;
    };
    expect(poll()).toEqual([12.96, Q_OK]);
    silent = true;
    expect(poll()).toEqual([12.96, Q_STALE]);
    expect(poll()).toEqual([12.96, Q_STALE]);
    expect(poll()).toEqual([null, Q_FAILED]);
    silent = false;
    volts = 0x0514;
    expect(poll()).toEqual([13, Q_OK]);
  });
});

// The board's Modbus master (modbus-reader.ts) on a fake serial line and a virtual clock: the RS-485 driver
// enable, timeouts and retries, framing, rejection counters, quality with held values, and the quantities.
import { describe, expect, it } from "vitest";
import { EPEVER_TRACER, epeverLive } from "../../firmware/drivers/maps/epever-tracer";
import { GROWATT_SPF, growattSpf } from "../../firmware/drivers/maps/growatt-spf";
import { inverterTable } from "../../firmware/protocol/channels";
import { HOLDING, LOW_FIRST, RegMap, SIGNED } from "../../firmware/drivers/modbus-map";
import { checkAnswer, COUNTERS, crc16, FAIL_AFTER, registerValue, RETRIES, startModbusReader, TIMEOUT_MS } from "../../firmware/drivers/modbus-reader";
import {
  adu, crc16 as crc16Lib, E_CRC, E_EXCEPTION, E_SHORT, E_SLAVE, E_TIMEOUT, OK, parseRequest, parseResponse, s16, word32,
} from "../../firmware/drivers/modbus-rtu";
import { VirtualBus } from "../sim/modbus-bus";
import type { SerialDevice } from "../../sim/devices/types";
import { bytesToBin, hexToBin, hexToBytes, loadPairs, scripted } from "./modbus-fixture";

const C_FAILED = 9;
const C_RETRY = 10;
const C_STRAY = 11;

/** The answer of a register bank reg(a) to a read request. */
function answerFrom(req: string, reg: (a: number) => number, id?: number): string {
  const q = parseRequest(req);
  const b = [id ?? q.s, q.f, q.q * 2];
  for (let a = q.a; a < q.a + q.q; a++) b.push(reg(a) >> 8, reg(a) & 0xff);
  return bytesToBin(adu(b));
}

type Sample = [string, number | null, string];

function setup(dev: SerialDevice, map = "battery_V 0x3104 0 100", baud = 9600, slave = 1) {
  const bus = new VirtualBus();
  bus.attach(dev);
  const samples: Sample[] = [];
  const reader = startModbusReader(bus.port, baud, bus.setDriverEnable, slave, map, bus.clock,
    (k, v, q) => samples.push([k, v, q]), bus.setTimer, bus.clearTimer);
  return { bus, reader, samples };
}

// runUntil checks its flag every ms: a poll is over once it has published (the publishing is synchronous).
function pollOnce(r: ReturnType<typeof setup>, battery = false): { s: Sample[]; t: number } {
  const from = r.samples.length;
  expect(r.reader.poll(battery)).toBe(true);
  r.bus.runUntil(() => r.samples.length > from);
  return { s: r.samples.slice(from), t: r.bus.now_ms };
}

const ANSWER = bytesToBin(adu([1, 4, 2, 0x05, 0x10])); // 12.96 V

describe("board Modbus answer check and register decoding, pure, on the real Tracer2215BN capture", () => {
  const reads = loadPairs().filter((p) => /^01 0[34]/.test(p.request));

  it("judges every captured FC 03/04 answer as the full parser does", () => {
    expect(reads.length).toBeGreaterThan(100);
    for (const p of reads) {
      const r = parseResponse(hexToBin(p.response), hexToBytes(p.request));
      expect(checkAnswer(hexToBin(p.request), hexToBin(p.response)), p.response).toBe(r.e);
    }
    expect(reads.some((p) => checkAnswer(hexToBin(p.request), hexToBin(p.response)) === E_EXCEPTION)).toBe(true);
  });

  it("decodes each register of the captured answers as 16/32-bit, signed or not, either word order", () => {
    let n = 0;
    for (const p of reads) {
      const b = hexToBin(p.response);
      const v = parseResponse(b, hexToBytes(p.request)).v;
      if (!v) continue;
      for (let o = 0; o < v.length; o++, n++) {
        expect(registerValue(b, o, 0)).toBe(v[o]);
        expect(registerValue(b, o, 1)).toBe(s16(v[o]));
        if (o + 1 >= v.length) continue;
        for (const t of [8, 9, 10, 11]) expect(registerValue(b, o, t)).toBe(word32(v, o, !!(t & 2), !!(t & 1)));
      }
    }
    expect(n).toBeGreaterThan(100);
  });

  it("rejects a frame cut short, a bad CRC, another slave, another function and a wrong byte count", () => {
    const req = bytesToBin(adu([1, 4, 0x31, 0x04, 0, 1]));
    expect(checkAnswer(req, "")).toBe(E_TIMEOUT);
    expect(checkAnswer(req, ANSWER)).toBe(OK);
    expect(checkAnswer(req, ANSWER.slice(0, 6))).toBe(E_SHORT);
    expect(checkAnswer(req, ANSWER.slice(0, -1) + "\x00")).toBe(E_CRC);
    expect(checkAnswer(req, bytesToBin(adu([2, 4, 2, 5, 0x10])))).toBe(E_SLAVE);
    expect(checkAnswer(req, bytesToBin(adu([1, 3, 2, 5, 0x10])))).toBe(4);
    expect(checkAnswer(req, bytesToBin(adu([1, 4, 4, 5, 0x10, 0, 0])))).toBe(5);
    expect(checkAnswer(req, bytesToBin(adu([1, 0x84, 2])))).toBe(E_EXCEPTION);
  });
});

describe("board Modbus master on a fake serial line and a virtual clock", () => {
  it("computes the CRC-16/MODBUS of the specification, and 0 over a frame with its CRC", () => {
    // MOSL §6.2.2 example frame: 02 07 -> CRC 0x1241 sent 41 12
    expect(crc16("\x02\x07", 2)).toBe(0x1241);
    expect(crc16(ANSWER, ANSWER.length)).toBe(0);
    expect(crc16("123456789", 9)).toBe(crc16Lib("123456789"));
  });

  it("drives DE high for the request and drops it once the last byte has left, before the answer", () => {
    const dev = scripted(() => [[15, ANSWER]]);
    const r = setup(dev);
    const { s } = pollOnce(r);
    expect(s).toEqual([["battery_V", 12.96, "o"]]);
    // 8 bytes + 1 character margin at 9600 8N1 = 9.375 ms -> 10 ms
    expect(r.bus.de).toEqual([{ t: 0, on: true }, { t: 10, on: false }]);
    expect(r.bus.written[0]).toEqual({ t: 0, bytes: bytesToBin(adu([1, 4, 0x31, 0x04, 0, 1])) });
    expect(r.bus.received[0].t).toBe(15);
  });

  it("scales the DE hold time with the baud rate", () => {
    const r = setup(scripted(() => [[5, ANSWER]]), "battery_V 0x3104 0 100", 115200);
    pollOnce(r);
    // 9 characters at 115200 = 0.78 ms -> 1 ms
    expect(r.bus.de.map((d) => d.t)).toEqual([0, 1]);
  });

  it("retries after a timeout and succeeds, counting one timeout and one retry", () => {
    const dev = scripted((_req, n) => (n === 1 ? null : [[10, ANSWER]]));
    const r = setup(dev);
    const { s, t } = pollOnce(r);
    expect(s).toEqual([["battery_V", 12.96, "o"]]);
    expect(dev.requests.length).toBe(2);
    // timeout = 10 ms on the wire + 300 ms, then a 5 ms turnaround, then 10 ms to the answer, 5 ms turnaround
    expect(t).toBe(10 + TIMEOUT_MS + 5 + 10 + 5);
    expect([r.reader.c[OK], r.reader.c[E_TIMEOUT], r.reader.c[C_RETRY], r.reader.c[C_FAILED]]).toEqual([1, 1, 1, 0]);
  });

  it("gives up after the retries, holds the last values while stale, then reports them failed (null)", () => {
    let n = 0;
    const flaky = scripted(() => (n++ === 0 ? [[10, ANSWER]] : null));
    const r = setup(flaky);
    expect(pollOnce(r).s).toEqual([["battery_V", 12.96, "o"]]);
    const seen: Sample[][] = [];
    for (let i = 0; i < FAIL_AFTER + 1; i++) seen.push(pollOnce(r).s);
    expect(seen).toEqual([
      [["battery_V", 12.96, "s"]],
      [["battery_V", 12.96, "s"]],
      [["battery_V", null, "f"]],
      [["battery_V", null, "f"]],
    ]);
    const c = r.reader.c;
    expect([c[OK], c[E_TIMEOUT], c[C_RETRY], c[C_FAILED]]).toEqual([1, 4 * (RETRIES + 1), 4 * RETRIES, 4]);
    expect(flaky.requests.length).toBe(1 + 4 * (RETRIES + 1));
  });

  it("reports a slave that never answered as failed", () => {
    const r = setup(scripted(() => null));
    expect(pollOnce(r).s).toEqual([["battery_V", null, "f"]]);
  });

  it("recovers as soon as the slave answers again", () => {
    let silent = false;
    let volts = 0x0510;
    const r = setup(scripted(() => (silent ? null : [[10, bytesToBin(adu([1, 4, 2, volts >> 8, volts & 0xff]))]])));
    pollOnce(r);
    silent = true;
    for (let i = 0; i < 4; i++) pollOnce(r);
    expect(pollOnce(r).s[0][2]).toBe("f");
    silent = false;
    volts = 0x0514;
    expect(pollOnce(r).s).toEqual([["battery_V", 13, "o"]]);
    expect(r.reader.c[OK]).toBe(2);
  });

  it("rejects a bad CRC, a truncated answer and another slave's answer, retrying each", () => {
    const bad = ANSWER.slice(0, -1) + "\x00";
    const other = bytesToBin(adu([2, 4, 2, 0x05, 0x10]));
    const answers = [bad, ANSWER.slice(0, 4), other, ANSWER];
    const dev = scripted((_req, n) => [[10, answers[n - 1]]]);
    const r = setup(dev);
    expect(pollOnce(r).s).toEqual([["battery_V", null, "f"]]); // three attempts, never an answer
    expect(pollOnce(r).s).toEqual([["battery_V", 12.96, "o"]]);
    const c = r.reader.c;
    expect([c[E_CRC], c[E_SHORT], c[E_SLAVE], c[OK], c[C_RETRY], c[C_FAILED]]).toEqual([1, 1, 1, 1, 2, 1]);
  });

  it("rejects a wrong function and a wrong byte count", () => {
    const answers = [bytesToBin(adu([1, 3, 2, 5, 0x10])), bytesToBin(adu([1, 4, 4, 5, 0x10, 0, 0])), ANSWER];
    const r = setup(scripted((_req, n) => [[10, answers[n - 1]]]));
    expect(pollOnce(r).s).toEqual([["battery_V", 12.96, "o"]]);
    expect([r.reader.c[4], r.reader.c[5], r.reader.c[C_RETRY]]).toEqual([1, 1, 2]);
  });

  it("takes an exception as an answer: no retry, its fields null, the slave alive", () => {
    const dev = scripted(() => [[10, bytesToBin(adu([1, 0x84, 2]))]]);
    const r = setup(dev);
    expect(pollOnce(r).s).toEqual([["battery_V", null, "o"]]);
    expect(dev.requests.length).toBe(1);
    expect([r.reader.c[E_EXCEPTION], r.reader.c[OK]]).toEqual([1, 0]);
  });

  it("assembles an answer split over chunks, and cuts by silence an answer that stops early", () => {
    const dev = scripted((_req, n) =>
      n === 1 ? [[10, ANSWER.slice(0, 2)], [12, ANSWER.slice(2, 5)], [13, ANSWER.slice(5)]] : [[10, ANSWER.slice(0, 5)]]);
    const r = setup(dev);
    expect(pollOnce(r).s[0]).toEqual(["battery_V", 12.96, "o"]);
    expect(r.reader.c[OK]).toBe(1);
    const t0 = r.bus.now_ms;
    r.reader.poll(false);
    r.bus.runUntil(() => r.reader.c[E_SHORT] > 0);
    // after 3.5 characters of silence (4 ms at 9600), not after the 300 ms timeout
    expect(r.bus.now_ms - t0).toBe(10 + 4);
  });

  it("reads contiguous fields in one request, the blocks one at a time, input and holding registers", () => {
    const map = "a 0x3100 0 1 b 0x3101 8 1 c 0x3104 0 1 d 0x3105 4 1 e 0x3106 4 1";
    const dev = scripted((req) => [[10, answerFrom(req, (a) => a & 0xff)]]);
    const r = setup(dev, map);
    const { s } = pollOnce(r);
    expect(dev.requests.map((q) => { const p = parseRequest(q); return [p.f, p.a, p.q]; }))
      .toEqual([[4, 0x3100, 3], [4, 0x3104, 1], [3, 0x3105, 2]]);
    expect(s).toEqual([["a", 0, "o"], ["b", 0x010002, "o"], ["c", 4, "o"], ["d", 5, "o"], ["e", 6, "o"]]);
    const times = r.bus.written.map((w) => w.t);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(10 + 5);
  });

  it("never asks for more than 125 registers in one request (MAP §6.4)", () => {
    let map = "";
    for (let a = 0; a < 130; a++) map += (a ? " " : "") + "r" + a + " " + a + " 0 1";
    const dev = scripted((req) => [[10, answerFrom(req, (a) => a)]]);
    const r = setup(dev, map, 115200);
    const { s } = pollOnce(r);
    expect(dev.requests.map((q) => parseRequest(q).q).every((q) => q <= 125)).toBe(true);
    expect(s.map((x) => x[1])).toEqual(Array.from({ length: 130 }, (_, a) => a));
  });

  it("counts bytes that arrive with no request out, and refuses a poll while one runs", () => {
    const dev = scripted(() => [[10, ANSWER]]);
    const r = setup(dev);
    r.bus.attach({ attach: (line) => line.schedule(1, () => line.sendToFirmware("\x01\x02\x03")) });
    r.bus.run(5);
    expect(r.reader.c[C_STRAY]).toBe(3);
    expect(r.reader.poll(false)).toBe(true);
    expect(r.reader.poll(false)).toBe(false);
    r.bus.run(r.bus.now_ms + 100);
    expect(r.samples).toEqual([["battery_V", 12.96, "o"]]);
  });

  it("survives a sink that throws: the next poll runs", () => {
    const dev = scripted(() => [[10, ANSWER]]);
    const bus = new VirtualBus();
    bus.attach(dev);
    let fail = true;
    const got: Sample[] = [];
    const reader = startModbusReader(bus.port, 9600, bus.setDriverEnable, 1, "battery_V 0x3104 0 100", bus.clock, (k, v, q) => {
      if (fail) throw new Error("consumer bug");
      got.push([k, v, q]);
    }, bus.setTimer, bus.clearTimer);
    reader.poll(false);
    expect(() => bus.run(50)).toThrow("consumer bug");
    fail = false;
    expect(reader.poll(false)).toBe(true);
    bus.run(bus.now_ms + 50);
    expect(got).toEqual([["battery_V", 12.96, "o"]]);
  });

  it("stops for good: no request after stop()", () => {
    const dev = scripted(() => null);
    const r = setup(dev);
    r.reader.poll(false);
    r.bus.run(100);
    r.reader.stop();
    r.bus.run(5000);
    expect(dev.requests.length).toBe(1);
    expect(r.reader.poll(false)).toBe(false);
  });

  it("names each of its counters", () => {
    expect(COUNTERS.split(" ").length).toBe(setup(scripted(() => null)).reader.c.length);
  });
});

// The EPEver 0x3200-series registers and a value for each board field, by register.
const TRACER: { [a: number]: number } = {
  0x3100: 3612, 0x3101: 402, 0x3102: 14520 & 0xffff, 0x3103: 14520 >> 16, 0x3104: 1341, 0x3105: 1030,
  0x310c: 1340, 0x310d: 150, 0x310e: 20100 & 0xffff, 0x310f: 0, 0x3110: 0xff83, 0x311a: 77,
  0x3201: 0x000b, 0x331b: -275 & 0xffff, 0x331c: (-275 >> 16) & 0xffff,
};

describe("quantities from the EPEver Tracer and Growatt SPF maps", () => {
  it("EPEver: 32-bit low word first, signed, the charger status as VE.Direct codes, battery only without a monitor", () => {
    const dev = scripted((req) => [[5, answerFrom(req, (a) => TRACER[a] ?? 0)]]);
    const r = setup(dev, EPEVER_TRACER, 115200);
    const all = Object.fromEntries(pollOnce(r, true).s.map((x) => [x[0], x[1]]));
    expect(all).toEqual({
      pv_V: 36.12, pv_A: 4.02, pv_W: 145.2, battery_V: 13.41, charge_A: 10.3, load_V: 13.4, load_A: 1.5, load_W: 201,
      battery_temp_C: -1.25, battery_soc_pct: 77, charge_state: 3, charger_fault: 1, battery_A: -2.75, battery_W: 13.41 * -2.75,
    });
    expect(dev.requests.length).toBe(5);
    const noBattery = pollOnce(r, false).s.map((x) => x[0]).sort();
    expect(noBattery).toEqual(["charge_A", "charge_state", "charger_fault", "load_A", "load_V", "load_W", "pv_A", "pv_V", "pv_W"]);
  });

  it("EPEver: charger status 0 none, 1 float, 2 boost, 3 equalize -> 0, 5, 3, 7", () => {
    for (const [bits, cs] of [[0, 0], [1, 5], [2, 3], [3, 7]]) {
      const r = setup(scripted((req) => [[5, answerFrom(req, () => bits << 2)]]), "charger_status 0x3201 32 1", 115200);
      expect(pollOnce(r).s).toEqual([["charge_state", cs, "o"], ["charger_fault", 0, "o"]]);
    }
    const dead = setup(scripted(() => null), "charger_status 0x3201 32 1", 115200);
    expect(pollOnce(dead).s).toEqual([["charge_state", null, "f"], ["charger_fault", null, "f"]]);
  });

  it("Growatt SPF: 32-bit high word first; the inverter's channels fed; no battery current, so battery_A and battery_W missing", () => {
    const regs: { [a: number]: number } = { 0: 5, 1: 3615, 3: 0, 4: 14520, 9: 1, 10: 0x86a0, 17: 5230, 18: 64, 22: 2301, 42: 7 };
    const r = setup(scripted((req) => [[5, answerFrom(req, (a) => regs[a] ?? 0)]]), GROWATT_SPF, 115200);
    expect(Object.fromEntries(pollOnce(r, true).s.map((x) => [x[0], x[1]]))).toEqual({
      inverter_state: 5, pv_V: 361.5, pv_W: 1452, ac_out_W: 10000, battery_V: 52.3, battery_soc_pct: 64, ac_out_V: 230.1, inverter_fault: 7,
      battery_A: null, battery_W: null,
    });
  });

  it("Growatt SPF: every channel of its inverter table is fed by the board map", () => {
    const fed = GROWATT_SPF.split(" ").filter((_, i) => i % 4 === 0);
    for (const key of inverterTable.split(" ").filter((_, i) => i % 4 === 1)) expect(fed, key).toContain(key);
  });

  // The board maps are the published subset of the full maps the Node tools use: same registers and scaling.
  const keys: { [k: string]: string } = {
    charge_A: "battery_charge_A", battery_soc_pct: "soc_pct", battery_A: "battery_net_A",
    inverter_state: "status", inverter_fault: "fault_code",
  };
  for (const [name, board, full] of [["EPEver", EPEVER_TRACER, epeverLive()], ["Growatt", GROWATT_SPF, growattSpf()]] as [string, string, RegMap][]) {
    it(`${name}: every board field is a field of the full map with the same register, type and scale`, () => {
      const f = board.split(" ");
      expect(f.length % 4).toBe(0);
      for (let j = 0; j < f.length; j += 4) {
        const i = full.k.indexOf(keys[f[j]] ?? f[j]);
        expect(i, f[j]).toBeGreaterThanOrEqual(0);
        const t = +f[j + 2];
        expect([+f[j + 1], t & 8 ? 2 : 1, !!(t & 1), !!(t & 2), !!(t & 4), 1 / +f[j + 3]], f[j])
          .toEqual([full.r[i], full.w[i], !!(full.t[i] & SIGNED), !!(full.t[i] & LOW_FIRST), !!(full.t[i] & HOLDING), 10 ** full.e[i]]);
        if (j) expect(+f[j + 1], "sorted by address").toBeGreaterThan(+f[j - 3]);
      }
    });
  }
});

// Values -> VE.Direct emitter bytes -> firmware port/parser -> decode -> the same values, within the protocol's
// resolution; HEX requests answered; faults from the device model counted and reported as quality.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SerialLine } from "../../sim/devices/types";
import { createVeDirectEmitter, VeDirectEmitterOptions, veRandom } from "../../sim/devices/vedirect-emitter";
import { VE_FIELD_ORDER, encodeVeDirectBlock, encodeVeDirectValues, veFieldsFromValues } from "../../sim/devices/vedirect-encode";
import { VeDirectFields, VeDirectHexFrame, createVeDirectParser } from "../../firmware/drivers/vedirect";
import { VE_TEXT_SCALE, VeDirectValues, decodeVeDirectBlock } from "../../firmware/drivers/vedirect-decode";
import { VE_REGISTERS, decodeHexFrame, decodeHexReply, hexGet, hexPing, hexProductId, hexSet, veRegisterValue } from "../../firmware/drivers/vedirect-hex";
import { openVeDirectPort } from "../../firmware/drivers/vedirect-port";

/** A virtual UART with a virtual clock: callbacks run in time order (ties in scheduling order). */
class FakeLine implements SerialLine {
  ms = 0;
  private q: { at: number; n: number; f: () => void }[] = [];
  private n = 0;
  private w?: (b: string) => void;
  toFirmware?: (b: string) => void;
  sendToFirmware(b: string) {
    this.toFirmware?.(b);
  }
  onFirmwareWrite(cb: (b: string) => void) {
    this.w = cb;
  }
  now() {
    return this.ms / 1000;
  }
  schedule(delayMs: number, f: () => void) {
    this.q.push({ at: this.ms + delayMs, n: this.n++, f });
  }
  firmwareWrites(b: string) {
    this.w?.(b);
  }
  runUntil(ms: number) {
    for (;;) {
      this.q.sort((a, b) => a.at - b.at || a.n - b.n);
      if (!this.q.length || this.q[0].at > ms) break;
      const e = this.q.shift()!;
      this.ms = e.at;
      e.f();
    }
    this.ms = ms;
  }
}

/** Emitter on a fake line, the firmware's port on the other end. */
function rig(o: VeDirectEmitterOptions) {
  const line = new FakeLine();
  const dev = createVeDirectEmitter(o);
  const got: { t: number; f: VeDirectFields }[] = [];
  const hex: VeDirectHexFrame[] = [];
  const qs: string[] = [];
  const port = openVeDirectPort(
    {
      setup: () => {},
      write: (d) => line.firmwareWrites(String(d)),
      on: (_e, cb) => (line.toFirmware = cb),
    },
    { seconds: () => line.now() },
    (f) => f && got.push({ t: line.now(), f: { ...f } }),
    (h) => hex.push(decodeHexFrame(h)!),
  );
  dev.attach(line);
  /** the quality now; the changes are kept in qs */
  const quality = () => {
    const q = port.poll();
    if (qs[qs.length - 1] !== q) qs.push(q);
    return q;
  };
  return { line, dev, port, got, hex, quality, qs };
}

/** Within half the resolution of the label's wire unit. */
function expectClose(dec: VeDirectValues, want: VeDirectValues) {
  const d = dec as { [k: string]: unknown };
  for (const [k, v] of Object.entries(want)) {
    if (typeof v !== "number") {
      expect(d[k], k).toEqual(v);
      continue;
    }
    const scale = k.endsWith("_Wh") ? VE_TEXT_SCALE.H19 : 1;
    expect(Math.abs((d[k] as number) - v), k).toBeLessThanOrEqual(scale / 2);
  }
}

const mppt = (t: number): VeDirectValues => ({
  battery_mV: 12000 + Math.round(1500 * Math.sin(t / 60)),
  battery_mA: Math.round(8000 * Math.max(0, Math.sin(t / 40))),
  pv_mV: 30000 + Math.round(t * 17),
  pv_W: Math.round(100 * Math.max(0, Math.sin(t / 40))),
  load_mA: 1200,
  load_on: true,
  chargeState: t < 30 ? 3 : 5,
  tracker: 2,
  offReason: 0,
  error: 0,
  yieldTotal_Wh: 82720 + t * 3.3,
  yieldToday_Wh: Math.round(t * 3.3),
  maxPowerToday_W: 120,
  yieldYesterday_Wh: 250,
  maxPowerYesterday_W: 119,
  daySequence: 12,
});

describe("block encoder", () => {
  it("re-encodes every real BMV block byte for byte", () => {
    const s = readFileSync(new URL("../fixtures/real/vedirect/bvm702.dump", import.meta.url)).toString("latin1");
    let out = "";
    const p = createVeDirectParser((f) => (out += encodeVeDirectBlock(f!)));
    p.push(s);
    expect(p.counters.blocks).toBe(906);
    expect(out).toBe(s.substring(0, out.length));
  });
});

describe("MPPT round trip", () => {
  it("gives back the values, one block a second", () => {
    const r = rig({ kind: "mppt", values: mppt });
    r.line.runUntil(60_000);
    expect(r.got.length).toBe(60);
    r.got.forEach((g, i) => expect(g.t).toBe(i + 1));
    for (const g of r.got) {
      const dec = decodeVeDirectBlock(g.f);
      expectClose(dec, mppt(g.t));
      expect(dec).toMatchObject({ productId: 0xa056, firmware: "161", serial: "HQ0000SIM01" });
    }
    expect(r.quality()).toBe("o");
    expect(r.port.counters).toMatchObject({ blocks: 60, checksum: 0, framing: 0, partialStart: 0 });
  });
});

describe("BMV round trip", () => {
  const live = (t: number): VeDirectValues => ({
    battery_mV: 12650 - t, starter_mV: 12800, battery_mA: -3000 - t, power_W: -38, consumed_mAh: t < 10 ? null : -1200 - t,
    soc_permille: t < 10 ? null : 950, timeToGo_min: t < 20 ? -1 : 900, alarm_on: false, relay_on: t > 30, alarmReason: 0,
  });
  const history = (): VeDirectValues => ({
    deepestDischarge_mAh: -149322, lastDischarge_mAh: -82854, averageDischarge_mAh: 0, chargeCycles: 3, fullDischarges: 0,
    cumulativeDrawn_mAh: -5526294, minBattery_mV: 11733, maxBattery_mV: 16161, sinceFullCharge_s: 368003, autoSyncs: 26,
    lowVoltageAlarms: 0, highVoltageAlarms: 0, minAux_mV: 3, maxAux_mV: 7, discharged_Wh: 68434, charged_Wh: 85270,
  });

  it("alternates live and history blocks and gives back both, '---' as null", () => {
    const r = rig({ kind: "bmv", values: (t) => ({ ...live(t), ...history() }) });
    r.line.runUntil(40_000);
    expect(r.got.length).toBe(40);
    r.got.forEach((g, i) => {
      const dec = decodeVeDirectBlock(g.f);
      if (i % 2 === 0) {
        expectClose(dec, live(g.t));
        expect(dec).toMatchObject({ productId: 0x204, model: "702", firmware: "0308" });
        expect("deepestDischarge_mAh" in dec).toBe(false);
      } else {
        expectClose(dec, history());
        expect("battery_mV" in dec).toBe(false);
      }
    });
    expect(r.got[0].f.CE).toBe("---");
    expect(decodeVeDirectBlock(r.got[0].f).soc_permille).toBeNull();
  });
});

describe("HEX requests answered by the device model", () => {
  function ask(r: ReturnType<typeof rig>, req: string) {
    const before = r.hex.length;
    r.line.firmwareWrites(req);
    r.line.runUntil(r.line.ms + 50);
    expect(r.hex.length).toBe(before + 1);
    return decodeHexReply(r.hex[r.hex.length - 1]);
  }

  it("answers ping, product id, Get of every register in the table, Set, unknown ids and bad frames", () => {
    const r = rig({ kind: "mppt", values: mppt, registers: { 0xedd0: 87 } });
    r.line.runUntil(2_500);
    expect(ask(r, hexPing())).toEqual({ kind: "ping", version: 0x4116 });
    expect(ask(r, hexProductId())).toEqual({ kind: "done", value: 0xa056 });
    const want: { [id: number]: number | string | null } = {
      0x0100: 0xffa05600, 0x010b: "SmartSolar Charger MPPT 100/30", 0x0200: 1, 0x0201: 3, 0xedf0: 0x96, 0xedf2: -1620,
      0xedd0: 87, 0x1050: null,
    };
    for (const reg of VE_REGISTERS) {
      const a = ask(r, hexGet(reg.id)) as { kind: string; id: number; flags: number; data: Uint8Array };
      expect(a.kind).toBe("get");
      expect(a.id).toBe(reg.id);
      // a register of the table the model holds no value for is "not supported", as a device without it answers
      if (want[reg.id] === null || !(reg.id in want)) expect(a.flags, reg.what).toBe(2);
      else expect([a.flags, veRegisterValue(reg.id, a.data)]).toEqual([0, want[reg.id]]);
    }
    expect(ask(r, hexGet(0x7777))).toMatchObject({ kind: "get", id: 0x7777, flags: 1 });
    expect(ask(r, hexSet(0xedf0, 0, 200, 2))).toMatchObject({ kind: "set", id: 0xedf0, flags: 0, value: 200 });
    expect(ask(r, hexGet(0xedf0))).toMatchObject({ flags: 0, value: 200 });
    expect(ask(r, hexSet(0x0201, 0, 5, 1))).toMatchObject({ kind: "set", flags: 2 });
    expect(ask(r, ":7F0ED0072\n")).toEqual({ kind: "error", value: 0xaaaa, framing: true });
    expect(r.dev.stats.badRequests).toBe(1);
    // text blocks kept coming in between, none lost
    r.line.runUntil(10_000);
    expect(r.port.counters).toMatchObject({ blocks: 10, checksum: 0, framing: 0, hex: 0 });
  });

  for (const inside of [false, true]) {
    it(`sends async frames ${inside ? "inside" : "after"} text blocks without disturbing them`, () => {
      const r = rig({ kind: "mppt", values: mppt, asyncEvery_s: 10, asyncInsideBlock: inside });
      r.line.runUntil(60_000);
      expect(r.got.length).toBe(60);
      expect(r.hex.length).toBe(6);
      for (const h of r.hex) expect(decodeHexReply(h)).toMatchObject({ kind: "async", id: 0x0201, flags: 0 });
      expect(r.port.counters).toMatchObject({ checksum: 0, framing: 0, hex: 0 });
    });
  }
});

describe("faults from the device model", () => {
  it("noise: corrupted blocks are rejected and counted, every delivered block is right, same seed same result", () => {
    const once = () => {
      const r = rig({ kind: "mppt", values: mppt, noise: { rate: 0.002, seed: 42 } });
      r.line.runUntil(600_000);
      for (const g of r.got) expectClose(decodeVeDirectBlock(g.f), mppt(g.t));
      return { c: { ...r.port.counters }, n: r.got.length, corrupted: r.dev.stats.corruptedBytes };
    };
    const a = once();
    expect(a.corrupted).toBeGreaterThan(100);
    const rejected = a.c.checksum + a.c.framing + a.c.oversize + a.c.truncated;
    expect(rejected).toBeGreaterThan(50);
    expect(a.n + rejected).toBeGreaterThanOrEqual(595);
    expect(once()).toEqual(a);
  });

  it("unplugged: stale after 5 s, failed after 30 s, ok when plugged back", () => {
    const r = rig({ kind: "bmv", values: () => ({ battery_mV: 12500, battery_mA: -100 }) });
    r.line.runUntil(10_000);
    expect(r.quality()).toBe("o");
    r.dev.unplug();
    r.line.runUntil(15_500);
    expect(r.quality()).toBe("s");
    r.line.runUntil(40_500);
    expect(r.quality()).toBe("f");
    r.dev.plug();
    r.line.runUntil(41_000);
    expect(r.quality()).toBe("o");
    expect(r.qs).toEqual(["o", "s", "f", "o"]); // lost once
  });

  it("a block cut mid-write is dropped as truncated, the next arrives; garbage between blocks costs nothing", () => {
    const r = rig({ kind: "mppt", values: mppt });
    r.line.runUntil(3_000);
    r.dev.cutNext(50);
    r.line.runUntil(6_000);
    r.line.schedule(500, () => r.dev.inject("\x00\xfe\xff junk"));
    r.line.runUntil(10_000);
    expect(r.port.counters).toMatchObject({ truncated: 1, framing: 1, blocks: 9, checksum: 0 });
    expect(r.quality()).toBe("o");
  });

  it("the PRNG is deterministic and uniform enough", () => {
    const a = veRandom(7);
    const b = veRandom(7);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.02);
  });

  it("encodes a block straight from values exactly as through the fields object, identity first", () => {
    const v: VeDirectValues = { battery_mV: 12840, battery_mA: -3210, power_W: -41, soc_permille: 873, consumed_mAh: -25400, timeToGo_min: null, model: "wrong" };
    const meta: VeDirectValues = { productId: 0x204, firmware: "0308", serial: "HQ1", model: "702" };
    for (const part of Object.keys(VE_FIELD_ORDER)) {
      const direct = encodeVeDirectValues(VE_FIELD_ORDER[part], v, meta);
      expect(direct).toBe(encodeVeDirectBlock(veFieldsFromValues(VE_FIELD_ORDER[part], { ...v, ...meta })));
    }
    expect(encodeVeDirectValues(VE_FIELD_ORDER.bmvLive, v, meta)).toContain("\r\nBMV\t702");
    expect(encodeVeDirectValues(VE_FIELD_ORDER.bmvLive, v, meta)).toContain("\r\nTTG\t---");
  });
});

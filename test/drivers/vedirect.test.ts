// The VE.Direct stream parser and text decoder against real captures (test/fixtures/real/vedirect, see
// test/fixtures/real/vedirect/SOURCES.md), byte for byte.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VeDirectFields, VeDirectReject, createVeDirectParser } from "../../firmware/drivers/vedirect";
import { decodeVeDirectBlock } from "../../firmware/drivers/vedirect-decode";
import { nameVeDirectValues } from "../../firmware/drivers/vedirect-names";
import { decodeHexFrame } from "../../firmware/drivers/vedirect-hex";

const fixture = (name: string) => readFileSync(new URL("../fixtures/real/vedirect/" + name, import.meta.url)).toString("latin1");

type Ev = { t: "block"; f: VeDirectFields } | { t: "hex"; cmd: number; data: number[] } | { t: "reject"; r: VeDirectReject };

/** Feeds `s` in chunks of the sizes given (cycled); returns everything the parser reported, in order. */
function run(s: string, sizes: number[] = [s.length]) {
  const ev: Ev[] = [];
  const p = createVeDirectParser(
    (f) => ev.push({ t: "block", f: { ...f } }),
    (frame) => {
      const h = decodeHexFrame(frame)!; // a frame the parser passes on has the right shape; its check byte is read here
      ev.push({ t: "hex", cmd: h.cmd, data: Array.from(h.data) });
    },
    (r) => ev.push({ t: "reject", r }),
  );
  for (let i = 0, k = 0; i < s.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    p.push(s.substring(i, i + n));
    i += n;
  }
  const blocks = ev.filter((e) => e.t === "block").map((e) => (e as { f: VeDirectFields }).f);
  const hex = ev.filter((e) => e.t === "hex") as { cmd: number; data: number[] }[];
  return { ev, blocks, hex, c: { ...p.counters } };
}

/** Independent reference: remove HEX frames, cut after every "Checksum\t" + 1 byte, and call a piece good when all
 *  its bytes (everything since the previous cut) sum to 0 mod 256. Fields by splitting lines (fine for clean data). */
function scan(s: string) {
  const text = s.replace(/:[0-9A-F]+\n/g, "");
  const good: VeDirectFields[] = [];
  let from = 0;
  let bad = 0;
  for (let at = text.indexOf("Checksum\t"); at >= 0; at = text.indexOf("Checksum\t", from)) {
    const end = at + 10;
    if (end > text.length) break;
    const piece = text.substring(from, end);
    let sum = 0;
    for (let i = 0; i < piece.length; i++) sum += piece.charCodeAt(i);
    if (sum % 256 === 0) {
      const f: VeDirectFields = {};
      for (const line of piece.substring(2, piece.length - 12).split("\r\n")) {
        const tab = line.indexOf("\t");
        f[line.substring(0, tab)] = line.substring(tab + 1);
      }
      good.push(f);
    } else bad++;
    from = end;
  }
  return { good, bad, hex: s.match(/:[0-9A-F]+\n/g) ?? [] };
}

describe("bluesolar_1.23.dump (BlueSolar MPPT 75/15, starts with a stray byte, async HEX frames)", () => {
  const s = fixture("bluesolar_1.23.dump");
  const r = run(s);
  // the capture's first byte (0xB4) is the checksum byte of a block sent before the capture began; a whole block
  // follows it
  const ref = scan(s.substring(1));

  it("delivers exactly the blocks with a good checksum, field for field, the first one after the stray byte too", () => {
    expect(s.charCodeAt(0)).toBe(0xb4);
    expect(scan(s).good.length).toBe(247); // counted from the first byte, the first block's sum is off by 0xB4
    expect(ref.good.length).toBe(248);
    expect(ref.bad).toBe(0);
    expect(r.c.blocks).toBe(248);
    expect(r.blocks).toEqual(ref.good);
  });

  it("skips the stray first byte without counting an error", () => {
    expect(r.c.partialStart).toBe(1);
    expect(r.c.checksum + r.c.framing + r.c.oversize + r.c.hex + r.c.truncated).toBe(0);
    expect(r.ev.filter((e) => e.t === "reject")).toEqual([]);
  });

  it("finds the 7 async HEX frames right after checksum bytes", () => {
    expect(ref.hex.length).toBe(7);
    expect(r.c.hexFrames).toBe(7);
    for (const h of r.hex) {
      expect(h.cmd).toBe(0xa);
      expect(h.data[0] | (h.data[1] << 8)).toBe(0x1050);
    }
    // the first one, byte for byte: ":A501000000000000000000000ED04C6040000000000C200000000000B0000000900C80D120172\n"
    expect(r.hex[0].data.slice(0, 14)).toEqual([0x50, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xed, 0x04]);
    expect(r.hex[0].data.length).toBe(37);
  });

  it("decodes the values (first and last delivered blocks, read from the file by hand)", () => {
    const first = nameVeDirectValues(decodeVeDirectBlock(r.blocks[0]));
    expect(first).toEqual({
      productId: 0xa042, product_name: "BlueSolar MPPT 75/15", firmware: "123", serial: "HQ1411MYIKN",
      battery_mV: 12530, battery_mA: 620, pv_mV: 33580, pv_W: 8, chargeState: 3, chargeState_name: "bulk", error: 0, error_name: "no error",
      load_on: true, load_mA: 0, yieldTotal_Wh: 82720, yieldToday_Wh: 0, maxPowerToday_W: 11, yieldYesterday_Wh: 250,
      maxPowerYesterday_W: 119, daySequence: 274,
    });
    expect(nameVeDirectValues(decodeVeDirectBlock(r.blocks[1]))).toEqual({
      productId: 0xa042, product_name: "BlueSolar MPPT 75/15", firmware: "123", serial: "HQ1411MYIKN",
      battery_mV: 12530, battery_mA: 640, pv_mV: 31390, pv_W: 8, chargeState: 3, chargeState_name: "bulk", error: 0, error_name: "no error",
      load_on: true, load_mA: 0, yieldTotal_Wh: 82720, yieldToday_Wh: 0, maxPowerToday_W: 11, yieldYesterday_Wh: 250,
      maxPowerYesterday_W: 119, daySequence: 274,
    });
    const last = decodeVeDirectBlock(r.blocks[247]);
    expect([last.battery_mV, last.battery_mA, last.pv_mV, last.pv_W]).toEqual([12540, 500, 29990, 7]);
  });
});

describe("bvm702.dump (BMV-700, live and history blocks)", () => {
  const s = fixture("bvm702.dump");
  const r = run(s);
  const ref = scan(s);

  it("delivers all 906 good blocks, field for field", () => {
    expect(ref.good.length).toBe(906);
    expect(ref.bad).toBe(0);
    expect(r.c.blocks).toBe(906);
    expect(r.blocks).toEqual(ref.good);
    expect(r.c.partialStart + r.c.checksum + r.c.framing + r.c.oversize + r.c.hex).toBe(0);
  });

  it("takes the seven ':' checksum bytes as checksums, not as HEX frames", () => {
    expect(s.match(/Checksum\t:/g)?.length).toBe(7);
    expect(r.c.hexFrames).toBe(0);
  });

  it("alternates live and history blocks", () => {
    r.blocks.forEach((b, i) => expect("PID" in b).toBe(i % 2 === 0));
    r.blocks.forEach((b, i) => expect("H1" in b).toBe(i % 2 === 1));
  });

  it("decodes negative I, P, CE and keeps FW's leading zero", () => {
    expect(decodeVeDirectBlock(r.blocks[0])).toEqual({
      productId: 0x203, battery_mV: 12065, battery_mA: -7625, power_W: -92, consumed_mAh: -65473, soc_permille: 839,
      timeToGo_min: 942, alarm_on: false, relay_on: false, alarmReason: 0, model: "700", firmware: "0308",
    });
    expect(decodeVeDirectBlock(r.blocks[1])).toEqual({
      deepestDischarge_mAh: -149322, lastDischarge_mAh: -82854, averageDischarge_mAh: 0, chargeCycles: 0,
      fullDischarges: 0, cumulativeDrawn_mAh: -5526294, minBattery_mV: 11733, maxBattery_mV: 16161,
      sinceFullCharge_s: 368003, autoSyncs: 26, lowVoltageAlarms: 0, highVoltageAlarms: 0, discharged_Wh: 68430,
      charged_Wh: 85270,
    });
    const lastLive = decodeVeDirectBlock(r.blocks[r.blocks.length - 2]);
    expect(lastLive.battery_mV).toBeGreaterThan(11000);
    expect(lastLive.battery_mA).toBeLessThan(0);
  });

  it("leaves the cut-off last block pending, neither delivered nor rejected", () => {
    expect(s.endsWith("BMV\t700\r")).toBe(true);
    expect(r.ev.filter((e) => e.t === "reject")).toEqual([]);
  });
});

describe("chunking", () => {
  for (const name of ["bluesolar_1.23.dump", "bvm702.dump"]) {
    it(`${name}: 1-byte, 7-byte, random and whole chunks give identical results`, () => {
      const s = fixture(name);
      const whole = run(s);
      let seed = 12345;
      const rnd = Array.from({ length: 500 }, () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return 1 + (seed % 300);
      });
      for (const sizes of [[1], [7], rnd, [2, 3, 5, 64]]) {
        const r = run(s, sizes);
        expect(r.ev).toEqual(whole.ev);
        expect(r.c).toEqual(whole.c);
      }
    });
  }
});

describe("bmv702-lossy-monitor.txt (LF only, fields run together, checksum bytes replaced)", () => {
  it("survives, rejects and counts every bad block, delivers nothing", () => {
    const s = fixture("bmv702-lossy-monitor.txt");
    let r: ReturnType<typeof run> | undefined;
    expect(() => (r = run(s))).not.toThrow();
    expect(r!.c.blocks).toBe(0);
    expect(r!.blocks).toEqual([]);
    expect(r!.c.partialStart).toBe(1);
    // every would-be block ends at a "Checksum\t": the first is the partial start, each other one a rejection,
    // and the stray bytes after the last one are one more
    const wouldBe = s.split("Checksum\t").length - 1;
    expect(wouldBe).toBe(15);
    expect(r!.c.framing).toBe(wouldBe - 1 + 1);
    expect(r!.ev.filter((e) => e.t === "reject").length).toBe(r!.c.framing + r!.c.checksum + r!.c.oversize + r!.c.hex);
    // 1-byte chunks agree
    expect(run(s, [1]).ev).toEqual(r!.ev);
  });
});

describe("text decoding", () => {
  it("reads '---' as not available (null), never 0", () => {
    const v = decodeVeDirectBlock({ T: "---", CE: "---", TTG: "-1", V: "12000" });
    expect(v).toEqual({ battery_temp_C: null, consumed_mAh: null, timeToGo_min: -1, battery_mV: 12000 });
  });

  it("reads ON/OFF and On/Off, hex PID and OR, scaled inverter and energy fields", () => {
    const v = decodeVeDirectBlock({
      Relay: "On", Alarm: "Off", LOAD: "OFF", OR: "0x00000001", PID: "0xA056", AC_OUT_V: "23010", AC_OUT_I: "15",
      DC_IN_V: "1320", H20: "123", MODE: "2", MPPT: "2", AR: "5",
    });
    expect(v).toEqual({
      relay_on: true, alarm_on: false, load_on: false, offReason: 1, productId: 0xa056, acOut_mV: 230100, acOut_mA: 1500,
      dcIn_mV: 13200, yieldToday_Wh: 1230, deviceMode: 2, tracker: 2, alarmReason: 5,
    });
    expect(nameVeDirectValues(v)).toMatchObject({ deviceMode_name: "inverter", tracker_name: "MPPT active", product_name: "SmartSolar MPPT 100/30" });
  });

  it("keeps labels it does not know, raw, and unreadable numbers as null", () => {
    expect(decodeVeDirectBlock({ XYZ: "0", V: "12x", BMV: "SmartShunt 500A/50mV" })).toEqual({
      unknown: { XYZ: "0" }, battery_mV: null, model: "SmartShunt 500A/50mV",
    });
  });

  it("knows every label of the protocol document: MON (DC monitor mode) and ERR with their names", () => {
    expect(nameVeDirectValues(decodeVeDirectBlock({ PID: "0xA389", MON: "-9", V: "12800" }))).toEqual({
      productId: 0xa389, product_name: "SmartShunt 500A/50mV", monitorMode: -9, monitorMode_name: "solar charger", battery_mV: 12800,
    });
    expect(nameVeDirectValues(decodeVeDirectBlock({ MON: "0" }))).toEqual({ monitorMode: 0, monitorMode_name: "battery monitor" });
    expect(nameVeDirectValues(decodeVeDirectBlock({ ERR: "33", PID: "0xA075" }))).toEqual({
      error: 33, error_name: "input voltage too high (solar panel)", productId: 0xa075, product_name: "SmartSolar MPPT 75/15 rev2",
    });
  });
});

describe("numbers in text values", () => {
  it("reads only whole numbers: sign only in front, no spaces, hex only after 0x", () => {
    const v = (raw: string, label = "V") => decodeVeDirectBlock({ [label]: raw })[label === "V" ? "battery_mV" : "productId"];
    expect([v("0"), v("-5"), v("12065"), v("-"), v(""), v("1-2"), v(" 12"), v("12 "), v("+3"), v("1.5"), v("\x10")]).toEqual([
      0, -5, 12065, null, null, null, null, null, null, null, null,
    ]);
    expect([v("0x203", "PID"), v("0XA04c", "PID"), v("0x", "PID"), v("203", "PID"), v("0xG1", "PID")]).toEqual([
      0x203, 0xa04c, null, null, null,
    ]);
  });
});

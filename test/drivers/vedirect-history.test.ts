// VE.Direct HEX history records (vedirect-history.ts) from byte sequences built by the layout of Victron's MPPT HEX
// protocol document, and the registers' names.
import { describe, expect, it } from "vitest";
import { decodeHexFrame, decodeHexReply, encodeHexFrame, leBytes, veRegister } from "../../firmware/drivers/vedirect-hex";
import { decodeVeHistory, decodeVeHistoryDay, decodeVeHistoryTotal } from "../../firmware/drivers/vedirect-history";

/** A day record: the document's fields in order, little-endian. */
function dayRecord(f: { yield: number; consumed: number; vmax: number; vmin: number; errs: number[]; bulk: number; abs: number; flt: number; pmax: number; imax: number; pvmax: number; seq: number }) {
  const errs = [0, 0, 0, 0].map((_, i) => f.errs[i] ?? 0);
  return [0, ...leBytes(f.yield, 4), ...leBytes(f.consumed, 4), ...leBytes(f.vmax, 2), ...leBytes(f.vmin, 2), errs.filter(Boolean).length, ...errs,
    ...leBytes(f.bulk, 2), ...leBytes(f.abs, 2), ...leBytes(f.flt, 2), ...leBytes(f.pmax, 4), ...leBytes(f.imax, 2), ...leBytes(f.pvmax, 2), ...leBytes(f.seq, 2)];
}

describe("VE.Direct HEX history", () => {
  const bytes = dayRecord({ yield: 1234, consumed: 56, vmax: 1445, vmin: 1198, errs: [33, 2], bulk: 120, abs: 95, flt: 300, pmax: 412, imax: 215, pvmax: 9812, seq: 17 });

  it("a day record: yield, consumed, battery max and min, errors, stage times, maximum power and current, day sequence", () => {
    expect(bytes.length).toBe(34);
    expect(decodeVeHistoryDay(0x1053, bytes)).toEqual({
      day: 3, yield_Wh: 12340, consumed_Wh: 560, maxBattery_mV: 14450, minBattery_mV: 11980, errors: [33, 2], bulk_min: 120,
      absorption_min: 95, float_min: 300, maxPower_W: 412, maxBattery_mA: 21500, maxPanel_mV: 98120, daySequence: 17,
    });
  });

  it("arrives in a Get reply or an async frame and is read through the frame's own check", () => {
    for (const [cmd, day] of [[0x7, 0], [0xa, 30]]) {
      const id = 0x1050 + day;
      const frame = encodeHexFrame(cmd, [id & 0xff, id >> 8, 0, ...bytes]).trim();
      const r = decodeHexReply(decodeHexFrame(frame)!);
      expect(r.kind === "get" || r.kind === "async").toBe(true);
      if (!("data" in r)) throw new Error("no data");
      expect(decodeVeHistory(r.id, r.data)).toMatchObject({ day, maxPower_W: 412, daySequence: 17 });
    }
  });

  it("the totals record: errors, user and system yield, maximum panel and battery voltage, days available", () => {
    const total = [0, 2, 33, 0, 0, 0, ...leBytes(987654, 4), ...leBytes(1234567, 4), ...leBytes(11050, 2), ...leBytes(1520, 2), 30, ...new Array(15).fill(0)];
    expect(decodeVeHistoryTotal(total)).toEqual({
      errors: [33], yieldUser_Wh: 9876540, yieldSystem_Wh: 12345670, maxPanel_mV: 110500, maxBattery_mV: 15200, daysAvailable: 30,
    });
    expect(decodeVeHistory(0x104f, total)).toEqual(decodeVeHistoryTotal(total));
  });

  it("refuses records too short and registers that are no history", () => {
    expect(decodeVeHistoryDay(0x1050, bytes.slice(0, 33))).toBeUndefined();
    expect(decodeVeHistory(0x106f, bytes)).toBeUndefined();
    expect(decodeVeHistory(0xedf0, bytes)).toBeUndefined();
    expect(decodeVeHistoryTotal(bytes.slice(0, 18))).toBeUndefined();
  });

  it("names every history register, and the document's other registers", () => {
    expect(veRegister(0x104f)!.what).toBe("history: totals");
    expect(veRegister(0x1050)!.what).toBe("history: today (day 0)");
    expect(veRegister(0x1051)!.what).toBe("history: day 1 (days before today)");
    expect(veRegister(0x106e)!.what).toBe("history: day 30 (days before today)");
    expect(veRegister(0x106f)).toBeUndefined();
    expect(veRegister(0xedbb)!.what).toBe("panel voltage, 0.01 V");
    expect(veRegister(0xedd3)!.what).toBe("yield today, 0.01 kWh");
  });
});

// `minigrid decode vedirect FILE`: one JSON line per frame, rejections summed up by reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeVeDirectCapture } from "../../cli/decode/vedirect";

const file = (name: string) => readFileSync(new URL("../fixtures/real/vedirect/" + name, import.meta.url));

function decode(bytes: Buffer) {
  const out: string[] = [];
  const err: string[] = [];
  const r = decodeVeDirectCapture(bytes, (l) => out.push(l), (l) => err.push(l));
  return { r, out, err, json: out.map((l) => JSON.parse(l)) };
}

describe("decodeVeDirectCapture", () => {
  it("bluesolar_1.23.dump: 248 text blocks and 7 HEX frames, one JSON line each, in stream order", () => {
    const d = decode(file("bluesolar_1.23.dump"));
    expect(d.r).toEqual({ frames: 255, rejected: 0 });
    expect(d.out.length).toBe(255);
    expect(d.json.filter((j) => j.type === "text").length).toBe(248);
    const hex = d.json.filter((j) => j.type === "hex");
    expect(hex.length).toBe(7);
    expect(hex[0]).toEqual({
      frame: 53, type: "hex", hex: ":A501000000000000000000000ED04C6040000000000C200000000000B0000000900C80D120172",
      reply: {
        kind: "async", id: "0x1050", flags: 0, register: "history: today (day 0)",
        // the text blocks around it say H20 0 (yield today), H21 11 (W), HSDS 274
        value: {
          day: 0, yield_Wh: 0, consumed_Wh: 0, maxBattery_mV: 12610, minBattery_mV: 12220, errors: [], bulk_min: 194,
          absorption_min: 0, float_min: 0, maxPower_W: 11, maxBattery_mA: 900, maxPanel_mV: 35280, daySequence: 274,
        },
        data: "000000000000000000ED04C6040000000000C200000000000B0000000900C80D1201",
      },
    });
    expect(d.json.map((j) => j.frame)).toEqual(Array.from({ length: 255 }, (_, i) => i + 1));
    expect(d.json[0]).toMatchObject({
      type: "text", values: { product_name: "BlueSolar MPPT 75/15", battery_mV: 12530, battery_mA: 620, chargeState_name: "bulk" },
    });
    expect(d.err).toEqual(["the capture starts inside a block: the bytes before its first whole block were skipped (not an error)"]);
  });

  it("sums up rejections by reason and shows where the first ones were", () => {
    const s = file("bvm702.dump").toString("latin1");
    const k = s.indexOf("SOC\t", 400) + 4; // in the fifth block (a stream's first block that fails is taken for a partial start)
    const broken = s.substring(0, k) + "X" + s.substring(k + 1, 5000) + ":7F0ED009600DC\n" + s.substring(5000);
    const d = decode(Buffer.from(broken, "latin1"));
    expect(d.r.rejected).toBe(2);
    expect(d.err[0]).toBe("rejected 2 frames: checksum 1, hex 1");
    expect(d.err[1]).toMatch(/^ {2}after frame 4: checksum/);
    expect(d.err[3]).toMatch(/^the capture ends inside a block/);
    expect(d.err.length).toBe(4);
    expect(d.r.frames).toBe(905);
  });

  it("reports an incomplete block at the end of the capture, apart from the rejections", () => {
    const s = file("bvm702.dump").toString("latin1");
    expect(s.endsWith("BMV\t700\r")).toBe(true); // the capture stops inside a block
    const d = decode(file("bvm702.dump"));
    expect(d.r).toEqual({ frames: 906, rejected: 0 });
    expect(d.err).toEqual(["the capture ends inside a block or HEX frame: that last part was not decoded"]);
    const only = decode(Buffer.from("\r\nV\t12000\r\nI\t5", "latin1"));
    expect(only.r).toEqual({ frames: 0, rejected: 0 });
    expect(only.err).toEqual(["the capture ends inside a block or HEX frame: that last part was not decoded"]);
  });
});

// VE.Direct HEX: requests built byte-identical to the ones recorded by go-victron against a SmartSolar MPPT 100/30,
// and every recorded reply read back (test/fixtures/real/vedirect/go-victron-hex-pairs.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VeDirectFields, VeDirectHexFrame, createVeDirectParser } from "../../firmware/drivers/vedirect";
import { decodeVeDirectBlock } from "../../firmware/drivers/vedirect-decode";
import {
  VE_FLAG_UNKNOWN_ID, VE_REGISTERS, decodeHexFrame, decodeHexReply, encodeHexFrame, hexAppVersion, hexGet, hexPing, hexProductId, hexSet,
  veRegisterValue,
} from "../../firmware/drivers/vedirect-hex";

const pairs: { request: string; response: string; comment: string }[] = JSON.parse(
  readFileSync(new URL("../fixtures/real/vedirect/go-victron-hex-pairs.json", import.meta.url), "utf8"),
).pairs;

/** Frames through the parser, read by decodeHexFrame; badCheck: frames of the right shape with a wrong check byte. */
function parse(s: string) {
  const hex: VeDirectHexFrame[] = [];
  const blocks: VeDirectFields[] = [];
  let badCheck = 0;
  const p = createVeDirectParser(
    (b) => blocks.push(b!),
    (f) => {
      const h = decodeHexFrame(f);
      if (h) hex.push(h);
      else badCheck++;
    },
  );
  p.push(s);
  return { hex, blocks, c: p.counters, badCheck };
}

describe("go-victron HEX pairs", () => {
  it("has the eight recorded pairs", () => expect(pairs.length).toBe(8));

  it("builds every request byte-identical to the recorded one", () => {
    const built = [hexPing(), hexGet(0xedf0), hexProductId(), hexGet(0x0100), hexGet(0xedf2), hexGet(0x010b), hexGet(0xedd0), hexGet(0x7777)];
    expect(built).toEqual(pairs.map((p) => p.request));
  });

  it("reads every recorded request back as a valid frame", () => {
    for (const p of pairs) {
      const r = parse(p.request);
      expect(r.hex.length).toBe(1);
      expect(encodeHexFrame(r.hex[0].cmd, r.hex[0].data)).toBe(p.request);
    }
  });

  it("decodes every reply", () => {
    const got = pairs.map((p) => {
      const r = parse(p.response);
      expect(r.c.hex + r.badCheck).toBe(0);
      expect(r.hex.length).toBe(1);
      return decodeHexReply(r.hex[0]);
    });
    expect(got[0]).toEqual({ kind: "ping", version: 0x4116 });
    expect(got[1]).toMatchObject({ kind: "get", id: 0xedf0, flags: 0, value: 0x0096 });
    expect(got[2]).toEqual({ kind: "done", value: 0xa056 });
    expect(got[3]).toMatchObject({ kind: "get", id: 0x0100, flags: 0, value: 4288697856 });
    expect(got[4]).toMatchObject({ kind: "get", id: 0xedf2, flags: 0, value: 0xf9ac });
    expect(got[5]).toMatchObject({ kind: "get", id: 0x010b, flags: 0, value: null });
    expect(got[6]).toMatchObject({ kind: "get", id: 0xedd0, flags: 0, value: 0 });
    expect(got[7]).toMatchObject({ kind: "get", id: 0x7777, flags: VE_FLAG_UNKNOWN_ID, value: null });
    expect((got[7] as { data: Uint8Array }).data.length).toBe(0);
    // typed by the register table
    const val = (i: number) => {
      const g = got[i] as { id: number; data: Uint8Array };
      return veRegisterValue(g.id, g.data);
    };
    expect(val(4)).toBe(-1620);
    expect(val(5)).toBe("SmartSolar Charger MPPT 100/30");
    expect(val(3)).toBe(4288697856);
    expect(veRegisterValue(0x7777, [])).toBeNull();
  });

  it("takes the text block that precedes the 0xEDD0 reply, whose checksum byte ')' runs straight into ':'", () => {
    const r = parse(pairs[6].response);
    expect(r.blocks.length).toBe(1);
    expect(decodeVeDirectBlock(r.blocks[0])).toMatchObject({
      productId: 0xa056, firmware: "161", serial: "HQ19499RHC5", battery_mV: 11880, battery_mA: 0, pv_mV: 10, pv_W: 0,
      chargeState: 0, tracker: 0, offReason: 1, error: 0, load_on: true, yieldTotal_Wh: 48030, daySequence: 280,
    });
    expect(r.hex.length).toBe(1);
  });

  it("reads all replies as one stream too, byte by byte", () => {
    const all = pairs.map((p) => p.response).join("");
    const hex: VeDirectHexFrame[] = [];
    const p = createVeDirectParser(undefined, (h) => hex.push(decodeHexFrame(h)!));
    for (const ch of all) p.push(ch);
    expect(hex.length).toBe(8);
    expect(hex.every((h) => h !== undefined)).toBe(true);
    expect(p.counters.blocks).toBe(1);
    expect(p.counters.hex + p.counters.framing + p.counters.partialStart).toBe(0);
  });
});

describe("HEX requests and replies beyond the recording", () => {
  it("builds app version and Set frames with valid check bytes", () => {
    expect(hexAppVersion()).toBe(":352\n");
    const set = hexSet(0xedf2, 0, -1620, 2);
    const r = parse(set);
    expect(r.hex.length).toBe(1);
    expect(decodeHexReply(r.hex[0])).toMatchObject({ kind: "set", id: 0xedf2, flags: 0, value: 0xf9ac });
    expect(hexSet(0x0200, 0, 4, 1)).toBe(encodeHexFrame(8, [0x00, 0x02, 0x00, 0x04]));
  });

  it("decodes unknown-command, framing-error and not-supported replies", () => {
    expect(decodeHexReply(parse(encodeHexFrame(3, [])).hex[0])).toEqual({ kind: "unknown" });
    expect(parse(":4AAAAFD\n").hex.map(decodeHexReply)).toEqual([{ kind: "error", value: 0xaaaa, framing: true }]);
    expect(decodeHexReply(parse(encodeHexFrame(7, [0x01, 0x02, 0x02])).hex[0])).toMatchObject({ kind: "get", id: 0x0201, flags: 2 });
  });

  it("rejects frames with a bad check byte, odd length or a stray character, and counts them", () => {
    const r = parse(":154X\n:155\n:1544\n:\n:7F0ED009600DB\n");
    expect(r.c.hex).toBe(1); // the parser: the stray character
    expect(r.badCheck).toBe(3); // decodeHexFrame: the check byte of ":155", the length of ":1544" and ":"
    expect(r.hex.length).toBe(1);
    for (const bad of [":155", ":1544", ":", ":15X", "154", ":1g4"]) expect(decodeHexFrame(bad)).toBeUndefined();
    expect(decodeHexFrame(":154")).toEqual({ cmd: 1, data: new Uint8Array(0) });
  });

  it("lists each register once with a type", () => {
    const ids = VE_REGISTERS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining([0x0200, 0x0201, 0xedf0]));
  });
});

// Whole blocks after junk, built from Victron's VE.Direct protocol document (docs/protocols.md "VE.Direct text",
// "VE.Direct HEX"), not from a capture: a block is "\r\n" LABEL "\t" VALUE ... "\r\nChecksum\t" + one byte that
// makes every byte of the block sum to 0 mod 256; HEX frames (':' .. '\n') may come anywhere. Whatever comes
// before a whole block (stray bytes, the tail of a block the listener joined late, a cut HEX frame, a block whose
// end was lost), the whole block is delivered, at any chunking; an incomplete block at the end stays held until a
// gap refuses it as truncated.
import { describe, expect, it } from "vitest";
import { VeDirectFields, VeDirectReject, createVeDirectParser } from "../../firmware/drivers/vedirect";

/** A text block with its checksum byte, as the protocol document defines it. */
function block(fields: [string, string][]): string {
  let s = "";
  for (const [label, value] of fields) s += "\r\n" + label + "\t" + value;
  s += "\r\nChecksum\t";
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s.charCodeAt(i);
  return s + String.fromCharCode((256 - (sum & 255)) & 255);
}

// An MPPT's block (labels and units of the protocol document) and a BMV's live and history blocks
const mppt = (v_mV: number) =>
  block([["PID", "0xA053"], ["FW", "161"], ["SER#", "HQ2132ABCDE"], ["V", String(v_mV)], ["I", "1200"], ["VPV", "36410"], ["PPV", "45"],
    ["CS", "3"], ["MPPT", "2"], ["OR", "0x00000000"], ["ERR", "0"], ["LOAD", "ON"], ["IL", "300"], ["H19", "1234"], ["H20", "12"],
    ["H21", "88"], ["H22", "15"], ["H23", "90"], ["HSDS", "17"]]);
const bmvLive = block([["PID", "0x203"], ["V", "12800"], ["I", "-3500"], ["P", "-45"], ["CE", "-12000"], ["SOC", "876"], ["TTG", "1440"],
  ["Alarm", "OFF"], ["Relay", "OFF"], ["AR", "0"], ["BMV", "700"], ["FW", "0308"], ["MON", "0"]]);
const bmvHistory = block([["H1", "-50000"], ["H2", "-20000"], ["H3", "-15000"], ["H4", "12"], ["H5", "0"], ["H6", "-900000"], ["H7", "11800"],
  ["H8", "14400"], ["H9", "86400"], ["H10", "3"], ["H11", "0"], ["H12", "0"], ["H17", "5000"], ["H18", "6000"]]);
// a HEX frame from the protocol document's example: Get 0xEDF0 answered with 0x0096
const HEX = ":7F0ED009600DB\n";

function fieldsOf(b: string): VeDirectFields {
  const f: VeDirectFields = {};
  for (const line of b.substring(2, b.lastIndexOf("\r\nChecksum")).split("\r\n")) f[line.split("\t")[0]] = line.split("\t")[1];
  return f;
}

function run(s: string, chunk: number) {
  const got: VeDirectFields[] = [];
  const hex: string[] = [];
  const rejects: VeDirectReject[] = [];
  const p = createVeDirectParser((f) => got.push({ ...f }), (h) => hex.push(h), (r) => rejects.push(r));
  for (let i = 0; i < s.length; i += chunk) p.push(s.substring(i, i + chunk));
  return { got, hex, rejects, p, c: p.counters };
}

/** Every case at 1-byte, 3-byte, 16-byte and whole chunks: the same blocks, rejections and counters. */
function each(s: string, check: (r: ReturnType<typeof run>) => void) {
  const whole = run(s, s.length);
  check(whole);
  for (const chunk of [1, 3, 16]) {
    const r = run(s, chunk);
    check(r);
    expect({ ...r.c }).toEqual({ ...whole.c });
  }
}

describe("the whole block after junk at the start (a listener that joins mid-stream)", () => {
  it("a few stray bytes, then whole blocks: every whole block, no error", () => {
    for (const junk of ["x", "\x00\x00\xff", "\xb4", "\n", "\t12", "ecksum\t\x9c"]) {
      each(junk + mppt(12800) + mppt(12810), (r) => {
        expect(r.got).toEqual([fieldsOf(mppt(12800)), fieldsOf(mppt(12810))]);
        expect(r.rejects).toEqual([]);
        expect(r.c.partialStart).toBe(1);
      });
    }
  });

  it("the tail of a block (its Checksum field included), then whole blocks: the tail is skipped without an alarm", () => {
    const prev = mppt(12790);
    for (const from of [1, 2, 9, 30, prev.length - 12, prev.length - 11, prev.length - 3, prev.length - 1]) {
      each(prev.substring(from) + mppt(12800) + mppt(12810), (r) => {
        expect(r.got).toEqual([fieldsOf(mppt(12800)), fieldsOf(mppt(12810))]);
        expect(r.rejects).toEqual([]);
        expect(r.c.partialStart).toBe(1);
      });
    }
  });

  it("a checksum byte that is CR (0x0D) right before the next block's CR LF", () => {
    // a block whose checksum byte is '\r': its serial number's last characters chosen until the sum asks for 0x0D
    let b = "";
    for (let n = 0; n < 93 * 93 && !b.endsWith("\r"); n++) {
      const ser = "HQ" + String.fromCharCode(0x21 + (n % 93), 0x21 + Math.floor(n / 93));
      b = block([["PID", "0xA053"], ["SER#", ser], ["V", "12800"]]);
    }
    expect(b.endsWith("Checksum\t\r")).toBe(true);
    each("\r" + mppt(12810), (r) => expect(r.got).toEqual([fieldsOf(mppt(12810))]));
    each(b.substring(b.length - 3) + bmvLive, (r) => expect(r.got).toEqual([fieldsOf(bmvLive)]));
    each(b + bmvLive, (r) => expect(r.got).toEqual([fieldsOf(b), fieldsOf(bmvLive)]));
  });

  it("the end of a HEX frame (the listener joined inside it), then a block", () => {
    for (const from of [1, 2, 5, HEX.length - 1]) {
      each(HEX.substring(from) + bmvLive + HEX + bmvHistory, (r) => {
        expect(r.got).toEqual([fieldsOf(bmvLive), fieldsOf(bmvHistory)]);
        expect(r.hex).toEqual([HEX.trim()]);
        expect(r.rejects).toEqual([]);
      });
    }
  });
});

describe("the whole block after junk between blocks", () => {
  it("stray bytes with CR LF in them: one rejection for the run, the block after it delivered", () => {
    for (const junk of ["x\r\ny", "\r\n\r\n", "\r\nnoise\r\n", "\xff\r\n\t\r\n"]) {
      each(bmvLive + junk + bmvHistory + bmvLive, (r) => {
        expect(r.got).toEqual([fieldsOf(bmvLive), fieldsOf(bmvHistory), fieldsOf(bmvLive)]);
        expect(r.rejects).toEqual(["framing"]);
      });
    }
  });

  it("a block whose end was lost (bytes dropped) and the next whole block of the same device", () => {
    const a = mppt(12800);
    for (const cut of [8, 20, 40, 100, a.indexOf("\r\nHSDS")]) {
      each(bmvLive + a.substring(0, cut) + mppt(12810) + mppt(12820), (r) => {
        expect(r.got).toEqual([fieldsOf(bmvLive), fieldsOf(mppt(12810)), fieldsOf(mppt(12820))]);
        expect(r.rejects.length).toBe(1);
      });
    }
  });

  it("a HEX frame right after a checksum byte, inside a block, and two in a row", () => {
    const b = bmvLive;
    const k = b.indexOf("\r\nSOC") + 4;
    each(mppt(12800) + HEX + HEX + b.substring(0, k) + HEX + b.substring(k) + HEX + bmvHistory, (r) => {
      expect(r.got).toEqual([fieldsOf(mppt(12800)), fieldsOf(bmvLive), fieldsOf(bmvHistory)]);
      expect(r.hex.length).toBe(4);
      expect(r.rejects).toEqual([]);
    });
  });

  it("a corrupted block is one checksum rejection; a block with a broken line one framing rejection", () => {
    const bad = bmvLive.replace("12800", "12900");
    each(bmvHistory + bad + bmvHistory, (r) => {
      expect(r.got).toEqual([fieldsOf(bmvHistory), fieldsOf(bmvHistory)]);
      expect(r.rejects).toEqual(["checksum"]);
    });
    const broken = bmvLive.replace("\r\nI\t", "\r\nI "); // the tab lost: "I -3500" is no field
    each(bmvHistory + broken + bmvHistory, (r) => {
      expect(r.got).toEqual([fieldsOf(bmvHistory), fieldsOf(bmvHistory)]);
      expect(r.rejects).toEqual(["framing"]);
    });
  });

  it("the field after a broken line does not make a block of its own unless its bytes sum to 0", () => {
    // what follows the broken line is checked as a block; here its sum is not 0, so nothing is delivered
    const broken = bmvLive.replace("\r\nTTG\t", "\r\nTTG ");
    const tail = broken.substring(broken.indexOf("TTG ") + 4);
    let sum = 0;
    for (let i = tail.indexOf("\r\n"); i < tail.length; i++) sum += tail.charCodeAt(i);
    expect(sum & 255).not.toBe(0);
    each(broken, (r) => expect(r.got).toEqual([]));
  });
});

describe("an incomplete block at the end", () => {
  it("stays held, neither delivered nor rejected, until a gap refuses it as truncated", () => {
    for (const end of [2, 3, 10, bmvHistory.length - 1]) {
      const r = run(bmvLive + bmvHistory.substring(0, end), 7);
      expect(r.got).toEqual([fieldsOf(bmvLive)]);
      expect(r.rejects).toEqual([]);
      r.p.push("", true); // the end of a capture, or a quiet line
      expect(r.rejects).toEqual(["truncated"]);
      expect(r.c.truncated).toBe(1);
    }
  });

  it("a HEX frame cut by the end is truncated too; whole ones and whole blocks are not", () => {
    const r = run(bmvLive + HEX.substring(0, 6), 5);
    r.p.push("", true);
    expect(r.rejects).toEqual(["truncated"]);
    const whole = run(bmvLive + HEX, 5);
    whole.p.push("", true);
    expect(whole.rejects).toEqual([]);
  });
});

// VE.Direct stream parser: text blocks with HEX frames interleaved anywhere. Pure: bytes in, callbacks out.
// Facts from shared/docs/protocols.md ("VE.Direct text", "VE.Direct HEX", "Pitfalls seen in the real captures"):
// - a field is "\r\n" LABEL "\t" VALUE; the last field is "\r\nChecksum\t" plus ONE raw byte, which may be any
//   value (':' and >= 0x80 included), so the stream is never split on line breaks: a byte state machine does it;
// - every byte from the block's first "\r\n" through the checksum byte sums to 0 mod 256;
// - HEX frames (':' .. '\n') may come between blocks or inside one and are not part of the text checksum.
// A block is accepted only when the parser saw it from its first byte: at power-up (or after a framing error)
// it waits for the next "Checksum\t" + byte before trusting the stream again, so a capture that starts
// mid-block loses that block without an alarm (counted as partialStart), never delivers half of it. Stray bytes
// after a whole block (noise on the idle line) are skipped: the block that follows is still taken.
// Sizes are capped (label, value, fields, HEX length) so garbage cannot grow memory; every rejection is counted
// and reported, nothing throws.

import { VE_MAX_FIELDS, VE_MAX_HEX_BYTES, VE_MAX_LABEL, VE_MAX_VALUE } from "./vedirect-types";
import type { VeDirectCounters, VeDirectFields, VeDirectParser, VeDirectParserOptions, VeDirectReject } from "./vedirect-types";

export { VE_MAX_FIELDS, VE_MAX_HEX_BYTES, VE_MAX_LABEL, VE_MAX_VALUE } from "./vedirect-types";
export type {
  VeDirectCounters, VeDirectFields, VeDirectHexFrame, VeDirectParser, VeDirectParserOptions, VeDirectReject,
} from "./vedirect-types";

// States of the text state machine.
const START = 0; // between blocks: expecting '\r'
const LF = 1; // after '\r': expecting '\n'
const LABEL = 2;
const VALUE = 3;
const CSUM = 4; // after "Checksum\t": the next byte, whatever it is
const HUNT = 5; // out of step: looking for "Checksum\t"
const HCSUM = 6; // found it while hunting: skip the checksum byte, then START

const CHECKSUM = "Checksum";
const HUNT_PAT = "Checksum\t";

/** Value of a hex digit (either case), or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The interpreter's native E.sum, or undefined (Node, or a virtual Espruino without it). Looked up through `global`
 *  so that Node-side type checks of this file need no Espruino declarations. */
function nativeSum(): ((s: string) => number) | undefined {
  const g: any = typeof global !== "undefined" ? global : undefined;
  return g && g.E && typeof g.E.sum === "function" ? g.E.sum : undefined;
}

/** Sum of the byte values of s[i, j), natively where it can. */
function sumOf(es: ((s: string) => number) | undefined, s: string, i: number, j: number): number {
  if (es) return es(s.substring(i, j));
  let t = 0;
  for (let k = i; k < j; k++) t += s.charCodeAt(k);
  return t;
}

// State in closure variables: on the interpreter a parser then costs about 240 variables (each instance copies its
// functions' code) and its code about 490. A prototype-based version measured 58 per parser but 830 for its code and
// was no faster; with one or two VE.Direct ports a node, closures cost less.
export function createVeDirectParser(opts: VeDirectParserOptions): VeDirectParser {
  const cnt: VeDirectCounters = {
    bytes: 0, blocks: 0, hexFrames: 0, badChecksum: 0, oversize: 0, framing: 0, badHex: 0, truncated: 0, partialStart: 0,
  };
  let st = START;
  let synced = false; // a block boundary has been seen (or the line was quiet)
  let sum = 0;
  let fields: VeDirectFields = {};
  let nf = 0; // fields in the current block
  let tok = ""; // label or value so far (carried across chunks)
  let ts = 0; // index in the current chunk where the rest of tok starts
  let label = "";
  let hm = 0; // characters of "Checksum\t" matched (HUNT, or stray bytes in START)
  let junk = 0; // START: inside a run of stray bytes
  // HEX frame in progress (hx = 1): nibbles so far, bytes, the sum of cmd and bytes
  let hx = 0;
  let hn = 0;
  let hsum = 0;
  const hb = new Uint8Array(VE_MAX_HEX_BYTES + 1);
  const es = nativeSum();

  function reject(reason: VeDirectReject, detail: string): void {
    if (opts.onReject) opts.onReject(reason, detail);
  }

  /** Drops the block in progress and waits for the next "Checksum\t" + byte. */
  function lose(reason: VeDirectReject, detail: string): void {
    if (reason === "oversize") cnt.oversize++;
    else cnt.framing++;
    reject(reason, detail);
    st = HUNT;
    hm = 0;
  }

  /** Follows "Checksum\t" through bytes that are not a block; true when it is complete. */
  function follow(c: number): boolean {
    if (c === HUNT_PAT.charCodeAt(hm)) return ++hm === HUNT_PAT.length;
    hm = c === 67 ? 1 : 0; // 'C' (no proper prefix of the pattern recurs in it)
    return false;
  }

  function endHex(): void {
    hx = 0;
    // hn counts nibbles: the command nibble, then pairs. At least the check byte must follow the command.
    if (hn < 3 || (hn & 1) === 0) {
      cnt.badHex++;
      reject("hex", "length " + hn);
      return;
    }
    const n = (hn - 1) >> 1; // bytes including the check byte
    if ((hsum & 0xff) !== 0x55) {
      // (cmd + sum of bytes + check) & 0xFF == 0x55 (protocols.md "VE.Direct HEX")
      cnt.badHex++;
      reject("hex", "check");
      return;
    }
    cnt.hexFrames++;
    if (opts.onHex) opts.onHex({ cmd: hb[0] >> 4, data: hb.slice(1, n) });
  }

  /** One character of a HEX frame; false when it does not belong to one (the frame is dropped). */
  function hexChar(c: number): boolean {
    if (c === 10) {
      endHex();
      return true;
    }
    const d = hexDigit(c);
    if (d < 0 || hn >= 2 * VE_MAX_HEX_BYTES + 1) {
      hx = 0;
      cnt.badHex++;
      reject("hex", d < 0 ? "character " + c : "too long");
      return d >= 0;
    }
    // hb[0] holds the command nibble in its high half; byte k (k >= 1) is built from nibbles 2k-1, 2k.
    if (hn === 0) {
      hb[0] = d << 4;
      hsum = d;
    } else if (hn & 1) {
      hb[(hn + 1) >> 1] = d << 4;
    } else {
      const k = hn >> 1;
      hb[k] |= d;
      hsum += hb[k];
    }
    hn++;
    return true;
  }

  function push(s: string): void {
    const n = s.length;
    cnt.bytes += n;
    ts = 0;
    let colon = -1; // index of the next ':' at or after i (n: none)
    for (let i = 0; i < n; i++) {
      if (st === LABEL && ts === i && tok === "" && !hx) {
        // Fast path, for the interpreter: a whole "LABEL\tVALUE\r\n" inside this chunk is taken with native string
        // calls, exactly as the byte-by-byte code below would take it; anything else is left to that code.
        const t = s.indexOf("\t", i);
        const r = t > i ? s.indexOf("\r", i) : -1;
        if (colon < i) {
          colon = s.indexOf(":", i);
          if (colon < 0) colon = n;
        }
        if (t > i && t - i <= VE_MAX_LABEL && t < colon) {
          label = s.substring(i, t);
          if (label === CHECKSUM) {
            sum += sumOf(es, s, i, t + 1);
            st = CSUM;
            i = t;
            continue;
          }
          const lf = s.indexOf("\n", i);
          const tab = s.indexOf("\t", t + 1);
          if (r > t && lf === r + 1 && r + 1 < colon && (tab < 0 || tab > r) && r - t - 1 <= VE_MAX_VALUE &&
            nf < VE_MAX_FIELDS && !fields.hasOwnProperty(label)) {
            fields[label] = s.substring(t + 1, r);
            nf++;
            sum += sumOf(es, s, i, r + 2);
            i = r + 1;
            ts = r + 2;
            continue;
          }
        }
      }
      const c = s.charCodeAt(i);
      if (hx) {
        if (hexChar(c)) {
          ts = i + 1;
          continue;
        }
        ts = i; // not part of the frame: the text machine gets this byte
      }
      if (c === 58 && st !== CSUM && st !== HCSUM) {
        // ':' starts a HEX frame anywhere except where a checksum byte is due
        if (st === LABEL || st === VALUE) tok += s.substring(ts, i);
        hx = 1;
        hn = 0;
        ts = i + 1;
        continue;
      }
      if (st >= LF && st <= CSUM) sum += c;
      // most frequent first: the interpreter tries the cases in order
      switch (st) {
        case VALUE:
          if (c === 13) {
            fields[label] = tok + s.substring(ts, i);
            nf++;
            st = LF;
          } else if (c === 10 || c === 9) {
            lose("framing", "byte " + c + " in " + label);
            i--;
          } else if (tok.length + i - ts >= VE_MAX_VALUE) {
            lose("oversize", "value of " + label);
          }
          break;
        case LF:
          if (c === 10) {
            st = LABEL;
            tok = "";
            ts = i + 1;
          } else {
            lose("framing", "CR without LF");
            i--;
          }
          break;
        case LABEL:
          if (c === 9) {
            label = tok + s.substring(ts, i);
            if (label === CHECKSUM) {
              st = CSUM;
            } else if (label === "" || fields.hasOwnProperty(label)) {
              lose("framing", label === "" ? "empty label" : "label " + label + " twice");
            } else if (nf >= VE_MAX_FIELDS) {
              lose("oversize", "fields");
            } else {
              st = VALUE;
              tok = "";
              ts = i + 1;
            }
          } else if (c === 13 || c === 10) {
            lose("framing", "line break in label");
            i--;
          } else if (tok.length + i - ts >= VE_MAX_LABEL) {
            lose("oversize", "label");
          }
          break;
        case START:
          if (c === 13) {
            sum = 13;
            nf = 0;
            fields = {};
            st = LF;
            junk = 0;
          } else if (synced) {
            // Stray bytes after a whole block: skipped, counted once a run, and the next "\r" still starts a block.
            // A "Checksum\t" + byte in them ends a would-be block (one more rejection when junk follows).
            if (!junk) {
              cnt.framing++;
              reject("framing", "byte " + c + " between blocks");
              junk = 1;
              hm = 0;
            }
            if (follow(c)) {
              st = HCSUM;
              junk = 0;
            }
          } else {
            cnt.partialStart++;
            st = HUNT;
            hm = 0;
            i--; // it may be the 'C' of "Checksum"
          }
          break;
        case CSUM:
          synced = true;
          st = START;
          if (nf === 0) {
            // "\r\nChecksum\t" + byte alone: no device sends it, and 1 in 256 noise bytes would pass the sum
            cnt.framing++;
            reject("framing", "empty block");
          } else if ((sum & 0xff) === 0) {
            cnt.blocks++;
            if (opts.onBlock) opts.onBlock(fields);
          } else {
            cnt.badChecksum++;
            reject("checksum", "sum " + (sum & 0xff));
          }
          fields = {};
          break;
        case HUNT:
          if (follow(c)) st = HCSUM;
          break;
        default: // HCSUM
          synced = true;
          st = START;
      }
    }
    if (st === LABEL || st === VALUE) {
      tok += s.substring(ts, n);
    }
  }

  function gap(): void {
    if (hx || (st >= LF && st <= CSUM)) {
      cnt.truncated++;
      reject("truncated", hx ? "HEX frame" : "block");
    }
    hx = 0;
    st = START;
    synced = true;
    junk = 0;
    fields = {};
  }

  return { push: push, gap: gap, counters: cnt };
}

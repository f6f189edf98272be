// VE.Direct stream parser: text blocks with HEX frames interleaved anywhere. Pure: bytes in, callbacks out.
// Facts from docs/protocols.md ("VE.Direct text", "VE.Direct HEX", "Pitfalls seen in the real captures"):
// - a field is "\r\n" LABEL "\t" VALUE; the last field is "\r\nChecksum\t" plus ONE raw byte, which may be any
//   value (':' and >= 0x80 included), so the stream is never split on line breaks before that byte is taken;
// - every byte from the block's first "\r\n" through the checksum byte sums to 0 mod 256;
// - HEX frames (':' .. '\n') may come between blocks or inside one and are not part of the text checksum.
// How: HEX frames are taken out of the stream as they come (a ':' right after "Checksum\t" is a checksum byte, not
// a frame); the text that is left is held until "Checksum\t" + one byte, and only then is the block checked as a
// whole with native string calls (split, indexOf, E.sum), which on the interpreter is far cheaper than a state
// machine stepping through every byte. Where the text stands between two checksums is one of five modes:
//   START    nothing seen yet: a first byte other than '\r' means the stream started inside a block, which is
//            skipped without an alarm (counted as partialStart), never delivered in part;
//   BETWEEN  after a block: '\r' starts the next block, anything else is junk;
//   BLOCK    in a block, held until its "Checksum\t" + byte (or refused as oversize past VE_MAX_BLOCK);
//   HUNT     out of step (partial start, oversize): skipping to the next "Checksum\t" + byte;
//   JUNK     stray bytes after a block (noise on the idle line), counted once a run: skipped up to the next '\r',
//            so the block that follows is still taken, or to a "Checksum\t" + byte that ends a would-be block.
// Every rejection is counted and reported, nothing throws, and what is held is capped so garbage cannot grow memory.
// Given a clock (the board's port, vedirect-port.ts), the parser also tells gaps in the stream itself and the
// quality of what the device gives (poll). Node tools (decode CLI, simulator, tests) use the same parser.

import type { Clock } from "../hal/types";
import type { VeDirectCounters, VeDirectFields, VeDirectParser, VeDirectReject, VeQuality } from "./vedirect-types";

export { VE_MAX_BLOCK, VE_MAX_FIELDS, VE_MAX_HEX_BYTES, VE_MAX_LABEL, VE_MAX_VALUE } from "./vedirect-types";
export type { VeDirectCounters, VeDirectFields, VeDirectHexFrame, VeDirectParser, VeDirectReject, VeQuality } from "./vedirect-types";

// State in closure variables, and constants as locals the minifier shortens: one or two VE.Direct ports a node and
// four functions, so closures cost little. The caps are vedirect-types.ts's, written out (its tests pin them):
// 1662 VE_MAX_BLOCK, 12 VE_MAX_LABEL, 40 VE_MAX_VALUE, 30 VE_MAX_FIELDS, ':' + 81 nibbles = 2 * VE_MAX_HEX_BYTES + 1.
export function createVeDirectParser(
  onBlock?: (fields?: VeDirectFields, q?: VeQuality) => void,
  onHex?: (frame: string) => void,
  onReject?: (reason: VeDirectReject) => void,
  clock?: Clock,
): VeDirectParser {
  const BETWEEN = 1; // START is 0
  const BLOCK = 2;
  const HUNT = 3;
  const JUNK = 4;
  const MAX_BLOCK = 1662;
  const CHECKSUM = "Checksum\t";
  // the two reasons named in several places (VeDirectReject)
  const FRAMING = "framing";
  const OVERSIZE = "oversize";
  const cnt: VeDirectCounters = {
    bytes: 0, blocks: 0, hexFrames: 0, checksum: 0, oversize: 0, framing: 0, hex: 0, truncated: 0, partialStart: 0,
  };
  let mode = 0;
  let text = ""; // text since the last checksum byte, HEX frames taken out (HUNT, JUNK: its last 9 bytes)
  let hex = ""; // the HEX frame in progress, from its ':' ("": none)
  // With a clock: when the last byte came (none yet: undefined) and the last good block (the opening before the first)
  let lastByte: number | undefined;
  let lastBlock = clock ? clock.seconds() : 0;

  function refuse(reason: VeDirectReject): void {
    cnt[reason]++;
    if (onReject) onReject(reason);
  }

  function push(s: string, gap?: boolean): void {
    let now = 0;
    if (clock) {
      // a quiet line for 0.5 s between two bytes ends any block in progress (before the first byte lastByte is
      // undefined: NaN >= 0.5 is false, so the first bytes are no gap)
      now = clock.seconds();
      gap = now - (lastByte as number) >= 0.5;
      lastByte = now;
    }
    if (gap) {
      if (hex || mode === BLOCK) refuse("truncated");
      hex = "";
      mode = BETWEEN;
      text = "";
    }
    cnt.bytes += s.length;
    for (let i = 0; ; ) {
      // The text so far: blocks, junk and hunting, in stream order, before the next byte is looked at.
      while (text) {
        if (mode < BLOCK) {
          if (text[0] === "\r") mode = BLOCK;
          else if (mode) {
            mode = JUNK;
            refuse(FRAMING);
          } else {
            mode = HUNT;
            cnt.partialStart++;
          }
        }
        // "Checksum\t" + its byte, complete (the interpreter's indexOf may also "find" a prefix at the very end)
        const k = text.indexOf(CHECKSUM);
        const end = k >= 0 && k + 9 < text.length ? k + 10 : 0;
        const cr = mode === JUNK ? text.indexOf("\r") : -1;
        if (cr >= 0 && (!end || cr < k)) {
          text = text.slice(cr);
          mode = BLOCK;
        } else if (!end) {
          // a block past the cap is refused now and hunted through (held whole, it would be refused at its end)
          if (mode === BLOCK && text.length > MAX_BLOCK) {
            refuse(OVERSIZE);
            mode = HUNT;
          }
          if (mode !== BLOCK) text = text.slice(-9);
          break;
        } else {
          if (mode === BLOCK) {
            // "\r\n" LABEL "\t" VALUE ... "\r\n" before "Checksum\t": split, "" first and last when well formed. A byte
            // lost or changed inside (a lone CR or LF, a tab too many) breaks the sum, which is checked after this.
            const lines = text.slice(0, k).split("\r\n");
            const fields: VeDirectFields = {};
            let why: VeDirectReject | "" =
              end > MAX_BLOCK ? OVERSIZE : lines[0] || lines.pop() || lines.length < 2 ? FRAMING : "";
            for (let n = 1; !why && n < lines.length; n++) {
              const line = lines[n];
              const tab = line.indexOf("\t");
              const label = line.slice(0, tab); // (no tab: refused below before the label is looked at)
              const value = line.slice(tab + 1);
              if (tab < 1 || label in fields) {
                why = FRAMING;
              } else if (tab > 12 || value.length > 40 || n > 30) {
                why = OVERSIZE;
              } else fields[label] = value;
            }
            if (!why) {
              // the interpreter's native E.sum where there is one (looked up through `global`: none on Node)
              const es = (global as any).E;
              let sum = 0;
              if (es) sum = es.sum(text.slice(0, end));
              else for (let n = 0; n < end; n++) sum += text.charCodeAt(n);
              if (sum & 255) why = "checksum";
            }
            if (why) refuse(why);
            else {
              cnt.blocks++;
              lastBlock = now;
              if (onBlock) onBlock(fields);
            }
          }
          text = text.slice(end);
          mode = BETWEEN;
        }
      }
      if (i >= s.length) return;
      const c = s[i++];
      if (hex) {
        // HEX frame: ':' + nibbles + '\n' (docs/protocols.md "VE.Direct HEX"): ':' and the nibbles go to onHex (vedirect-hex.ts
        // decodeHexFrame checks their number and the check byte); a byte that is not a hex digit (or one too many:
        // longer than any register) drops the frame and goes back to the text.
        if (c === "\n") {
          cnt.hexFrames++;
          if (onHex) onHex(hex);
          hex = "";
        } else if (isNaN(parseInt(c, 16)) || hex.length > 81) {
          i--;
          hex = "";
          refuse("hex");
        } else hex += c;
      } else if (c === ":" && text.slice(-9) !== CHECKSUM) {
        hex = c;
      } else {
        // text up to the next ':' (a ':' that is a checksum byte is text)
        let j = s.indexOf(":", i);
        if (j < 0) j = s.length;
        text += s.slice(i - 1, j);
        i = j;
      }
    }
  }

  return {
    push: push,
    counters: cnt,
    // quality by time (docs/style.md 12): ok while good blocks come (about one a second), stale after 5 s without one (or
    // before the first), failed after 30 s (unplugged, dead, or nothing but garbage); a good block is ok at once
    poll: function (): VeQuality {
      const age = (clock as Clock).seconds() - lastBlock;
      const q = age >= 30 ? "f" : age < 5 && cnt.blocks ? "o" : "s";
      if (q !== "o" && onBlock) onBlock(undefined, q);
      return q;
    },
  };
}

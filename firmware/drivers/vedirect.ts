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
//   START    nothing seen yet: bytes before the first "\r\n" mean the stream started inside a block (or a HEX
//            frame, or noise): counted once as partialStart, without an alarm, and skipped;
//   BETWEEN  after a block: "\r\n" starts the next block, anything else is junk (counted once a run);
//   JUNK     skipping to the next "\r\n", where a block may begin, or to a "Checksum\t" + byte that ends a
//            would-be block (a line that lost its CRs);
//   BLOCK    in a block, held until its "Checksum\t" + byte (or refused as oversize past VE_MAX_BLOCK);
//   HUNT     after an oversize block: skipping to the next "Checksum\t" + byte, its end.
// A block begins at the first "\r\n" after junk, so the whole block that follows stray bytes, a partial block or a
// cut HEX frame is taken. Within what is held, a line that cannot be a field (no tab, empty label, over the caps)
// ends what came before it, and a label seen twice begins the next block (a block whose end was lost runs into
// the next one): the block checked is what follows the last such line, so the whole block at the end is still
// delivered. A run of junk costs one rejection, however many breaks it holds; a partial start costs none.
// The parser delivers only whole blocks: an incomplete one at the end of the stream stays held until a gap
// (push(s, true)) refuses it as truncated, which is how a tool reports the end of a capture.
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
  const JUNK = 3;
  const HUNT = 4;
  const MAX_BLOCK = 1662;
  const CHECKSUM = "Checksum\t";
  // the two reasons named in several places (VeDirectReject)
  const FRAMING = "framing";
  const OVERSIZE = "oversize";
  const cnt: VeDirectCounters = {
    bytes: 0, blocks: 0, hexFrames: 0, checksum: 0, oversize: 0, framing: 0, hex: 0, truncated: 0, partialStart: 0,
  };
  let mode = 0;
  // 1: this run of junk is counted already (or is the partial start): no more rejections until its end; 2: the
  // stream's first block, on trial: if it fails, it was the tail of a block (a partial start), not an error
  let quiet = 0;
  let text = ""; // text since the last checksum byte, HEX frames taken out (JUNK: at most its last 9 bytes)
  let hex = ""; // the HEX frame in progress, from its ':' ("": none)
  // With a clock: when the last byte came (none yet: undefined) and the last good block (the opening before the first)
  let lastByte: number | undefined;
  let lastBlock = clock ? clock.seconds() : 0;

  function refuse(reason: VeDirectReject): void {
    if (quiet > 1) cnt.partialStart++;
    else if (!quiet) {
      cnt[reason]++;
      if (onReject) onReject(reason);
    }
    quiet = 1;
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
      quiet = 0;
      if (hex || mode === BLOCK) refuse("truncated");
      quiet = 0;
      hex = "";
      mode = BETWEEN;
      text = "";
    }
    cnt.bytes += s.length;
    for (let i = 0; ; ) {
      // The text so far: blocks, junk and hunting, in stream order, before the next byte is looked at.
      while (text) {
        // "Checksum\t" + its byte, complete, and "\r\n" (the interpreter's indexOf may also "find" a prefix of
        // the needle at the very end: docs/espruino.md)
        const k = text.indexOf(CHECKSUM);
        const end = k >= 0 && k + 9 < text.length ? k + 10 : 0;
        if (mode !== BLOCK) {
          const cr = text.indexOf("\r\n");
          // where a block begins: the first "\r\n", unless a would-be block ends before it (-1: not yet seen)
          const at = mode < HUNT && cr >= 0 && cr + 1 < text.length && !(end && k < cr) ? cr : -1;
          if (text === "\r") break; // "\n" may follow
          if (!(at || mode)) quiet = 2;
          if (at) {
            if (!mode) {
              cnt.partialStart++;
              quiet = 1;
            } else if (mode === BETWEEN) refuse(FRAMING);
            if (mode < JUNK) mode = JUNK;
            if (at > 0) {
              text = text.slice(at);
              continue;
            }
            if (end) {
              text = text.slice(end);
              mode = BETWEEN;
              quiet = 0;
              continue;
            } else {
              text = text.slice(-9);
              break;
            }
          }
          mode = BLOCK;
        }
        if (!end) {
          // a block past the cap is refused now and skipped (held whole, it would be refused at its end)
          if (text.length > MAX_BLOCK) {
            refuse(OVERSIZE);
            mode = HUNT;
            text = text.slice(-9);
          }
          break;
        }
        // "\r\n" LABEL "\t" VALUE ... "\r\n" before "Checksum\t": split, "" first and last when well formed. A byte
        // lost or changed inside a line (a lone CR or LF, a tab too many) breaks the sum, which is checked after this.
        const lines = end > MAX_BLOCK ? [] : text.slice(0, k).split("\r\n");
        let why: VeDirectReject | "" = end > MAX_BLOCK ? OVERSIZE : lines.pop() ? FRAMING : "";
        let fields: VeDirectFields = {};
        let off = 0; // where the block checked begins: after the last line that broke the run of fields
        let first = 1; // its first line
        for (let n = 1, pos = 2; n < lines.length; pos += lines[n++].length + 2) {
          const line = lines[n];
          const tab = line.indexOf("\t");
          const label = line.slice(0, tab);
          const big = tab > 12 || line.length - tab > 41;
          if (tab < 1 || big || label in fields) {
            refuse(big ? OVERSIZE : FRAMING);
            fields = {};
            // a label seen twice begins the next block; a line that is no field ends what came before it
            off = tab > 0 && !big ? pos - 2 : pos + line.length;
            first = tab > 0 && !big ? n : n + 1;
          }
          if (off < pos) fields[label] = line.slice(tab + 1);
        }
        if (!why) why = first >= lines.length ? FRAMING : lines.length - first > 30 ? OVERSIZE : "";
        if (!why) {
          // the interpreter's native E.sum where there is one (looked up through `global`: none on Node)
          const es = (global as any).E;
          let sum = 0;
          if (es) sum = es.sum(text.slice(off, end));
          else for (let n = off; n < end; n++) sum += text.charCodeAt(n);
          if (sum & 255) why = "checksum";
        }
        if (why) refuse(why);
        else {
          cnt.blocks++;
          lastBlock = now;
          if (onBlock) onBlock(fields);
        }
        quiet = 0;
        text = text.slice(end);
        mode = BETWEEN;
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
          // counted apart from the text's runs of junk
          const q = quiet;
          quiet = 0;
          refuse("hex");
          quiet = q;
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

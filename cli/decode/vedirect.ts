// Decodes a VE.Direct capture (the raw bytes of a device's TX line, text blocks with HEX frames anywhere) into one
// JSON line per frame, for an engineer reading a site's serial log. Text blocks come out as values with units in
// their names (firmware/drivers/vedirect-decode.ts) with code names added; HEX frames with their decoded reply, the
// register by name and history records as named fields (vedirect-hex.ts, vedirect-history.ts).
// Rejected frames are summed up by reason on `err`, with the first few placed after the frame they followed.
// A partial block at the very start of the capture is skipped and mentioned, not counted as a rejection; an
// incomplete block at its end (the capture stopped in the middle of one) is reported on its own line.

import { VeDirectReject, createVeDirectParser } from "../../firmware/drivers/vedirect";
import { decodeVeDirectBlock } from "../../firmware/drivers/vedirect-decode";
import { decodeHexFrame, decodeHexReply, encodeHexFrame, veRegister, veRegisterValue } from "../../firmware/drivers/vedirect-hex";
import { decodeVeHistory } from "../../firmware/drivers/vedirect-history";
import { nameVeDirectValues } from "../../firmware/drivers/vedirect-names";
import { readCapture } from "./modbus-input";

const MAX_EXAMPLES = 10;

/** A Modbus capture as the modbus decoder reads one: JSON request/response pairs, lines of hex, or raw bytes in
 *  which some frame's CRC closes. */
function looksModbus(bytes: Buffer): boolean {
  const text = bytes.toString("latin1");
  if (/"request"\s*:/.test(text) || /^\s*(\S*\s+)?(tx|rx)?[\s:>-]*([0-9a-f]{2}[\s:]?){4,}\s*$/im.test(text)) return true;
  const cap = readCapture(bytes);
  return cap.form === "binary" && cap.frames.length > 0 && cap.skipped < bytes.length / 2;
}

const hex = (d: ArrayLike<number>) => Array.from(d, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");

export function decodeVeDirectCapture(
  bytes: Buffer,
  out: (line: string) => void,
  err: (line: string) => void,
): { frames: number; rejected: number } {
  let frames = 0;
  const reasons: Partial<Record<VeDirectReject, number>> = {};
  const examples: string[] = [];
  let rejected = 0;
  let ended = false; // the capture's end: a block still held there was cut by it
  let cutAtEnd = false;
  const reject = (why: VeDirectReject, detail: string) => {
    if (ended) return void (cutAtEnd = true);
    rejected++;
    reasons[why] = (reasons[why] ?? 0) + 1;
    if (examples.length < MAX_EXAMPLES) examples.push(`  after frame ${frames}: ${why}${detail}`);
  };
  const p = createVeDirectParser(
    (f) => {
      frames++;
      out(JSON.stringify({ frame: frames, type: "text", values: nameVeDirectValues(decodeVeDirectBlock(f!)) }));
    },
    (frame) => {
      const h = decodeHexFrame(frame);
      if (!h) return reject("hex", " (" + frame + ": length or check byte)");
      frames++;
      const r = decodeHexReply(h);
      const reply: Record<string, unknown> = { ...r };
      if ("data" in r) {
        reply.data = hex(r.data);
        reply.id = "0x" + r.id.toString(16).toUpperCase().padStart(4, "0");
        const reg = veRegister(r.id);
        if (reg) {
          reply.register = reg.what;
          // a history record (0x104F, 0x1050..0x106E) as named fields with units, any other register by its type
          if (r.flags === 0) reply.value = decodeVeHistory(r.id, r.data) ?? veRegisterValue(r.id, r.data) ?? r.value;
        }
      }
      out(JSON.stringify({ frame: frames, type: "hex", hex: encodeHexFrame(h.cmd, h.data).trim(), reply }));
    },
    (why) => reject(why, ""),
  );
  p.push(bytes.toString("latin1"));
  ended = true;
  p.push("", true); // the end of the capture, as a quiet line: an incomplete block there is refused as truncated
  const c = p.counters;
  if (frames === 0 && (looksModbus(bytes) || (!cutAtEnd && !bytes.includes("Checksum\t")))) {
    // not a VE.Direct capture at all: said once, with a guess at what it is, not once a rejected piece
    err(`no VE.Direct frames found in ${bytes.length} bytes: ${looksModbus(bytes) ? "is this a Modbus capture? (minigrid decode modbus FILE)" : "a VE.Direct capture holds text blocks ending in \"Checksum\""}`);
    return { frames, rejected };
  }
  if (c.partialStart) err("the capture starts inside a block: the bytes before its first whole block were skipped (not an error)");
  const pending = bytes.length > 0 && rejected === 0 && frames === 0 && !cutAtEnd;
  if (rejected) {
    const list = Object.entries(reasons).map(([k, n]) => `${k} ${n}`).join(", ");
    err(`rejected ${rejected} frame${rejected === 1 ? "" : "s"}: ${list}`);
    for (const e of examples) err(e);
    if (rejected > examples.length) err(`  ... and ${rejected - examples.length} more`);
  }
  if (cutAtEnd) err("the capture ends inside a block or HEX frame: that last part was not decoded");
  if (pending) err(`no complete frame in ${bytes.length} bytes`);
  return { frames, rejected };
}

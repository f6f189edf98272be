// The forms a technician's Modbus RTU capture comes in, cut into frames for the decoder (modbus.ts):
// 1. JSON: a list of {"request": "<hex>", "response": "<hex>"} pairs, or an object with such a list in "pairs".
// 2. Text, one frame per line in hex: plain ("01 04 31 00 00 02 7F 37", "01:04:..", "0104..", "0x01,0x04,.."), or
//    a sniffer's log line with a timestamp and a direction before the bytes ("2024-05-01 12:00:01.123 TX: 01 04 ..",
//    "[12.345] RX 01 04 ..", "12:00:01.123 > 01 04 .."). Blank lines and "#" or "//" comments are skipped.
// 3. Raw bytes as a serial sniffer stores them. The silences that delimit RTU frames on the wire (Modbus over
//    serial line V1.02 §2.5.1.1: 3.5 character times) are not in such a file, so a frame is found where it
//    ends: at the length its function code gives (or, for a function the decoder does not know, any length up to
//    256 bytes) where the CRC closes (§2.5.1.2). Bytes that begin no frame are skipped and counted.

import { crcOk, requestLength, responseLength } from "../../firmware/drivers/modbus-rtu";

export interface Frame {
  n: number; // frame number in the capture, from 1
  where: string; // line, pair or byte offset, for messages
  hex: string; // as given (text forms), or the bytes in hex (binary)
  bin: string | null; // null when not hex
  dir: "request" | "response" | null;
}

export interface Capture {
  frames: Frame[];
  /** What the JSON's "device" says, if anything. */
  device: string;
  form: "json" | "text" | "binary";
  /** Binary: bytes that began no frame. */
  skipped: number;
  /** A reason the input is not a capture at all (bad JSON, JSON of another shape). */
  error?: string;
}

/** Bytes that are not printable text or line breaks: a file with more than a few in its first 4 KB is binary. */
export function looksBinary(b: Buffer): boolean {
  let odd = 0;
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0 || (c < 32 && c !== 9 && c !== 10 && c !== 13) || c > 126) odd++;
  }
  return odd > Math.max(2, n / 100);
}

export function readCapture(bytes: Buffer): Capture {
  if (looksBinary(bytes)) return framesFromBinary(bytes.toString("latin1"));
  const text = bytes.toString("utf8");
  const t = text.trim();
  // JSON: an object, or a list (not a log line that begins with a "[12.345]" timestamp)
  if (t.startsWith("{") || /^\[\s*[{\]"]/.test(t)) {
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch (e) {
      return { frames: [], device: "", form: "json", skipped: 0, error: `not valid JSON: ${(e as Error).message}` };
    }
    const pairs = Array.isArray(doc) ? doc : (doc as { pairs?: unknown }).pairs;
    const device = Array.isArray(doc) ? "" : String((doc as { device?: unknown }).device ?? "");
    if (!Array.isArray(pairs)) return { frames: [], device, form: "json", skipped: 0, error: 'JSON without a list of {"request", "response"} pairs' };
    return { frames: framesFromPairs(pairs), device, form: "json", skipped: 0 };
  }
  return { frames: framesFromText(text), device: "", form: "text", skipped: 0 };
}

function toBin(hex: string): string | null {
  const h = hex.replace(/0x/gi, "").replace(/[\s,:;-]+/g, "");
  if (!h.length || h.length % 2 || /[^0-9a-f]/i.test(h)) return null;
  return Buffer.from(h, "hex").toString("latin1");
}

function framesFromPairs(pairs: unknown[]): Frame[] {
  const frames: Frame[] = [];
  pairs.forEach((p, i) => {
    const pair = (p ?? {}) as { request?: unknown; response?: unknown };
    for (const dir of ["request", "response"] as const) {
      const hex = typeof pair[dir] === "string" ? (pair[dir] as string) : "";
      frames.push({ n: frames.length + 1, where: `pair ${i + 1} ${dir}`, hex, bin: toBin(hex), dir });
    }
  });
  return frames;
}

// A direction word or arrow, where a log puts it: at the start, or after a timestamp (a word with a digit)
const DIRECTION = /^(?:.*?[0-9][^\s]*\s+|\[[^\]]*\]\s*)?\[?(tx|rx|req|rsp|->|<-|>>|<<|>|<)\]?\s*:?\s*(?=[0-9a-f])/i;
// A timestamp with no direction after it: a date, a time of day with fractions, or seconds with fractions
const TIMESTAMP = /^(?:\[[^\]]*\]|\d{4}-\d{2}-\d{2}[T ]\S*|\d{1,2}:\d{2}:\d{2}\.\d+|\d+\.\d+)\s+/;

function framesFromText(text: string): Frame[] {
  const frames: Frame[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    let line = raw.replace(/(#|\/\/).*$/, "").trim();
    if (!line) return;
    let dir: Frame["dir"] = null;
    const m = DIRECTION.exec(line);
    if (m) {
      const d = m[1].toLowerCase();
      dir = d === "tx" || d === "req" || d === ">" || d === "->" || d === ">>" ? "request" : "response";
      line = line.slice(m[0].length);
    } else line = line.replace(TIMESTAMP, "").replace(TIMESTAMP, "");
    frames.push({ n: frames.length + 1, where: `line ${i + 1}`, hex: line, bin: toBin(line), dir });
  });
  return frames;
}

const hexOf = (s: string) => Buffer.from(s, "latin1").toString("hex").toUpperCase();

/** Frames in a raw byte stream, where their CRC closes (see the head of this file). */
function framesFromBinary(s: string): Capture {
  const frames: Frame[] = [];
  let skipped = 0;
  let i = 0;
  while (i + 4 <= s.length) {
    const rest = s.slice(i, i + 260);
    let len = 0;
    // the lengths the function code allows, as a request and as a response, then any length (unknown function)
    for (const l of [requestLength(rest), responseLength(rest)]) if (!len && l >= 4 && l <= rest.length && crcOk(rest, l)) len = l;
    const fc = rest.charCodeAt(1) & 0x7f;
    if (!len && requestLength(rest) < 0 && responseLength(rest) < 0 && fc > 0) {
      for (let l = 4; l <= rest.length && !len; l++) if (crcOk(rest, l)) len = l;
    }
    if (!len) {
      skipped++;
      i++;
      continue;
    }
    const bin = rest.slice(0, len);
    frames.push({ n: frames.length + 1, where: `byte ${i}`, hex: hexOf(bin), bin, dir: null });
    i += len;
  }
  skipped += s.length - i; // fewer than 4 bytes left: no frame
  return { frames, device: "", form: "binary", skipped };
}

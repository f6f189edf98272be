// Decodes a Modbus RTU capture into one JSON line per frame, for an engineer reading a site's serial log. The forms
// a capture comes in (JSON pairs, text logs with timestamps and TX/RX, plain hex lines, raw bytes) are read by
// modbus-input.ts. Without a direction, a frame that answers the request before it is taken as its response, else
// a frame that parses as a request as a request.
//
// Function codes 65-72 and 100-110 are the user-defined ones of the Modbus application protocol (V1.1b3 §5);
// vendors' own tools use them (EPEver's PC software sends 0x43 and 0x45, whose layout EPEver does not publish).
// Such a frame with a good CRC is decoded as what can be known: slave, function, and its data bytes; a request of
// 8 bytes in the shape of a register read also gives start and quantity, and a response whose byte count matches
// gives its registers (not named: their meaning is the vendor's).
//
// Register values are named through a register map when the registers are in it: pass map "epever" or
// "growatt", or leave "auto": EPEver when the JSON's "device" names an EPsolar/EPEver/Tracer, or when the capture
// reads EPEver's register blocks (rated 0x30xx, live 0x31xx-0x33xx, settings and clock 0x90xx).

import { epeverClock, epeverLive, epeverOther, epeverRated, epeverSettings } from "../../firmware/drivers/maps/epever-tracer";
import { growattSpf } from "../../firmware/drivers/maps/growatt-spf";
import { decodeField, fieldFc, RegMap } from "../../firmware/drivers/modbus-map";
import {
  crcOk, E_EXCEPTION, exceptionName, OK, parseRequest, parseResponse, REJECT_NAMES, Reply, Req,
} from "../../firmware/drivers/modbus-rtu";
import { Frame, readCapture } from "./modbus-input";

export interface DecodeOptions {
  map?: "auto" | "epever" | "growatt" | "none";
}

const FUNCTION_NAMES: Record<number, string> = {
  1: "read coils", 2: "read discrete inputs", 3: "read holding registers", 4: "read input registers",
  5: "write single coil", 6: "write single register", 15: "write multiple coils", 16: "write multiple registers",
  43: "read device identification",
};

/** Modbus application protocol V1.1b3 §5: function codes left to users (vendors). */
export function userDefinedFunction(fc: number): boolean {
  return (fc >= 65 && fc <= 72) || (fc >= 100 && fc <= 110);
}

/** What may be echoed of a frame as given: printable ASCII, anything else as \xNN (a binary file's bytes never
 *  reach the terminal as they are). */
export function printable(s: string, max = 80): string {
  let out = "";
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    out += c >= 32 && c < 127 ? s[i] : "\\x" + c.toString(16).padStart(2, "0");
  }
  return out;
}

/** EPEver's register blocks: rated 0x3000.., live 0x3100-0x331E, settings and clock 0x9000-0x90FF. */
function readsEpever(frames: Frame[]): boolean {
  for (const f of frames) {
    if (!f.bin || f.bin.length !== 8) continue;
    const q = parseRequest(f.bin);
    if (q.e !== OK || (q.f !== 3 && q.f !== 4)) continue;
    if ((q.a >= 0x3000 && q.a <= 0x331e) || (q.a >= 0x9000 && q.a <= 0x90ff)) return true;
  }
  return false;
}

export function decodeModbusCapture(
  input: string | Buffer,
  out: (line: string) => void,
  err: (line: string) => void,
  opts: DecodeOptions = {},
): { frames: number; rejected: number } {
  const cap = readCapture(typeof input === "string" ? Buffer.from(input, "utf8") : input);
  if (cap.error) {
    err(cap.error);
    return { frames: 0, rejected: 1 };
  }
  const frames = cap.frames;
  const mapName = opts.map ?? "auto";
  const epever = mapName === "epever" || (mapName === "auto" && (/epsolar|epever|tracer/i.test(cap.device) || readsEpever(frames)));
  const maps = epever ? [epeverLive(), epeverRated(), epeverSettings(), epeverOther()] : mapName === "growatt" ? [growattSpf()] : [];
  if (mapName === "auto" && epever && !/epsolar|epever|tracer/i.test(cap.device)) err("map: EPEver (recognised from the registers read)");

  const reasons = new Map<string, number>();
  const examples: string[] = [];
  let decoded = 0;
  let pending: { bytes: Uint8Array; req: Req } | null = null;
  for (const f of frames) {
    const reject = (why: string) => {
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
      if (examples.length < 10) examples.push(`  frame ${f.n} (${f.where}): ${why}: ${printable(f.hex)}`);
    };
    if (f.bin === null) {
      reject("not hex");
      continue;
    }
    const fc = f.bin.length > 1 ? f.bin.charCodeAt(1) & 0x7f : 0;
    if (userDefinedFunction(fc)) {
      if (f.bin.length < 4 || !crcOk(f.bin)) {
        reject("crc");
        continue;
      }
      const o = describeVendor(f, pending);
      pending = o.dir === "request" && f.bin.length === 8 ? { bytes: Uint8Array.from(f.bin, (c) => c.charCodeAt(0)), req: { e: OK, s: f.bin.charCodeAt(0), f: fc, a: (f.bin.charCodeAt(2) << 8) | f.bin.charCodeAt(3), q: (f.bin.charCodeAt(4) << 8) | f.bin.charCodeAt(5) } as Req } : null;
      out(JSON.stringify(o));
      decoded++;
      continue;
    }
    const asResponse = pending ? parseResponse(f.bin, pending.bytes) : null;
    const dir = f.dir ??
      (asResponse && (asResponse.e === OK || asResponse.e === E_EXCEPTION) ? "response"
        : parseRequest(f.bin).e === OK ? "request" : "response");
    if (dir === "request") {
      const q = parseRequest(f.bin);
      if (q.e !== OK) {
        reject("request " + REJECT_NAMES[q.e]);
        pending = null;
        continue;
      }
      pending = { bytes: Uint8Array.from(f.bin, (c) => c.charCodeAt(0)), req: q };
      out(JSON.stringify(describeRequest(f.n, q)));
    } else {
      const r = pending && pending.req.f === f.bin.charCodeAt(1) % 128 ? asResponse ?? parseResponse(f.bin, pending.bytes) : parseResponse(f.bin);
      if (r.e !== OK && r.e !== E_EXCEPTION) {
        reject("response " + REJECT_NAMES[r.e]);
        pending = null;
        continue;
      }
      out(JSON.stringify(describeResponse(f.n, r, pending?.req ?? null, maps)));
      pending = null;
    }
    decoded++;
  }
  const rejected = frames.length - decoded;
  if (cap.form === "binary" && cap.skipped) err(`${cap.skipped} bytes began no frame (no CRC closed after them) and were skipped`);
  if (!decoded && frames.length && frames.every((f) => f.bin === null)) {
    // not a Modbus capture at all: said once, not once a line
    err("no Modbus frames found: is this a VE.Direct capture?");
    return { frames: 0, rejected };
  }
  if (rejected) {
    err(`${rejected} of ${frames.length} frames rejected: ` + [...reasons].map(([k, v]) => `${k} ${v}`).join(", "));
    for (const e of examples) err(e);
  }
  if (!frames.length) err(cap.form === "binary" ? "no Modbus frames found: no CRC closes anywhere in these bytes" : "no Modbus frames found: no line of hex bytes");
  return { frames: decoded, rejected };
}

/** A frame of a user-defined (vendor) function: what can be known without the vendor's layout. */
function describeVendor(f: Frame, pending: { req: Req } | null): Record<string, unknown> {
  const b = f.bin as string;
  const byte = (i: number) => b.charCodeAt(i);
  const fc = byte(1) & 0x7f;
  const data = Buffer.from(b.slice(2, b.length - 2), "latin1");
  const o: Record<string, unknown> = { n: f.n, dir: f.dir, slave: byte(0), fc, function: "user-defined (vendor)" };
  if (byte(1) & 0x80) return Object.assign(o, { dir: "response", exception: byte(2), exceptionName: exceptionName(byte(2)) });
  const answers = pending && pending.req.f === fc && f.dir !== "request";
  if (!o.dir) o.dir = answers ? "response" : "request";
  if (o.dir === "request" && b.length === 8) Object.assign(o, { start: (byte(2) << 8) | byte(3), quantity: (byte(4) << 8) | byte(5) });
  else if (o.dir === "response" && b.length >= 5 && byte(2) === b.length - 5 && !(byte(2) & 1)) {
    const regs: number[] = [];
    for (let i = 3; i + 1 < b.length - 2; i += 2) regs.push((byte(i) << 8) | byte(i + 1));
    if (answers) o.start = pending!.req.a;
    o.registers = regs;
  }
  o.data = data.toString("hex").toUpperCase();
  return o;
}

function describeRequest(n: number, q: Req): Record<string, unknown> {
  const o: Record<string, unknown> = { n, dir: "request", slave: q.s, fc: q.f, function: FUNCTION_NAMES[q.f] ?? "unknown" };
  if (q.f === 43) Object.assign(o, { readDeviceIdCode: q.a, objectId: q.q });
  else if (q.f === 5 || q.f === 6) Object.assign(o, { address: q.a, value: q.q });
  else Object.assign(o, { start: q.a, quantity: q.q });
  if (q.v) o.values = Array.from(q.v);
  return o;
}

function describeResponse(n: number, r: Reply, q: Req | null, maps: RegMap[]): Record<string, unknown> {
  const o: Record<string, unknown> = { n, dir: "response", slave: r.s, fc: r.f & 0x7f, function: FUNCTION_NAMES[r.f & 0x7f] ?? "unknown" };
  if (r.e === E_EXCEPTION) return Object.assign(o, { exception: r.x, exceptionName: exceptionName(r.x as number) });
  if (q && (r.v || r.b)) o.start = q.a;
  if (r.v) o.registers = Array.from(r.v);
  if (r.b) o.bits = Array.from(r.b);
  if (r.o) o.objects = r.o;
  if (r.a !== undefined) Object.assign(o, { address: r.a, [r.f === 5 || r.f === 6 ? "value" : "quantity"]: r.q });
  if (q && r.v) {
    const named: Record<string, unknown> = nameRegisters(maps, r.f, q.a, r.v);
    // EPEver's real-time clock, 0x9013-0x9015, read whole: the date and time it holds
    const at = 0x9013 - q.a;
    if (maps.some((m) => m.n.startsWith("EPEver")) && r.f === 3 && at >= 0 && at + 3 <= r.v.length) {
      const c = epeverClock(r.v.subarray(at, at + 3));
      const p2 = (n: number) => String(n).padStart(2, "0");
      named.clock = `${c.y}-${p2(c.mo)}-${p2(c.d)} ${p2(c.h)}:${p2(c.mi)}:${p2(c.s)}`;
    }
    if (Object.keys(named).length) o.values = named;
  }
  if (q && r.b && (r.f === 1 || r.f === 2) && maps.some((m) => m.n.startsWith("EPEver"))) {
    const bits = nameBits(r.f, q.a, r.b);
    if (Object.keys(bits).length) o.values = bits;
  }
  return o;
}

// EPEver's coils (FC 01) and discrete inputs (FC 02) by name: EPsolar controller protocol V2.3.
const EPEVER_BITS: Record<number, Record<number, string>> = {
  1: { 0x0002: "load_manual_on", 0x0005: "load_test_mode", 0x0006: "load_force_on" },
  2: { 0x2000: "over_temperature_inside", 0x200c: "night" },
};

function nameBits(fc: number, start: number, b: ArrayLike<number>): Record<string, number> {
  const named: Record<string, number> = {};
  for (let i = 0; i < b.length; i++) {
    const name = EPEVER_BITS[fc][start + i];
    if (name) named[name] = b[i];
  }
  return named;
}

// Values of the map fields that lie wholly inside the registers read.
function nameRegisters(maps: RegMap[], fc: number, start: number, v: Uint16Array): Record<string, number | string | null> {
  const named: Record<string, number | string | null> = {};
  for (const m of maps) {
    for (let i = 0; i < m.k.length; i++) {
      if (fieldFc(m, i) !== fc || (m.sf && m.sf[i])) continue;
      const off = m.r[i] - start;
      if (off >= 0 && off + m.w[i] <= v.length) named[m.k[i]] = decodeField(m, i, v, off, m.e[i]);
    }
  }
  return named;
}

// Decodes a Modbus RTU capture into one JSON line per frame, for an engineer reading a site's serial log.
//
// Accepted input:
// 1. JSON: a list of {"request": "<hex>", "response": "<hex>"} pairs, or an object with such a list in
//    "pairs" (the form of fixtures/real/modbus/epsolar-tracer-pairs.json). Each response is checked against
//    its request (slave, function, byte count, echo).
// 2. A hex dump, one frame per line. Bytes as hex pairs, separated by spaces, commas, colons or nothing,
//    with or without 0x: "01 04 02 00 c5 79 63", "01:04:02:00:c5:79:63", "01040200c57963", "0x01,0x04,...".
//    A line may start with a timestamp in brackets ("[12.345]") and a direction ("TX", "RX", ">", "<",
//    "->", "<-", "req", "rsp", optionally followed by ":"). Blank lines and lines starting with "#" or "//"
//    are skipped, as is anything after "#" on a line. Without a direction, a frame that answers the
//    request before it is taken as its response, else a frame that parses as a request as a request.
//
// Register values are named through a register map when the registers are in it: pass map "epever" or
// "growatt", or leave "auto" (EPEver when the JSON's "device" names an EPsolar/EPEver/Tracer).

import { epeverLive, epeverRated, epeverSettings } from "../../firmware/drivers/maps/epever-tracer";
import { growattSpf } from "../../firmware/drivers/maps/growatt-spf";
import { decodeField, fieldFc, RegMap } from "../../firmware/drivers/modbus-map";
import {
  E_EXCEPTION, exceptionName, OK, parseRequest, parseResponse, REJECT_NAMES, Reply, Req,
} from "../../firmware/drivers/modbus-rtu";

export interface DecodeOptions {
  map?: "auto" | "epever" | "growatt" | "none";
}

const FUNCTION_NAMES: Record<number, string> = {
  1: "read coils", 2: "read discrete inputs", 3: "read holding registers", 4: "read input registers",
  5: "write single coil", 6: "write single register", 15: "write multiple coils", 16: "write multiple registers",
  43: "read device identification",
};

interface Frame {
  n: number; // frame number in the capture, from 1
  where: string; // line or pair, for messages
  hex: string; // as given
  bin: string | null; // null when not hex
  dir: "request" | "response" | null;
}

export function decodeModbusCapture(
  text: string,
  out: (line: string) => void,
  err: (line: string) => void,
  opts: DecodeOptions = {},
): { frames: number; rejected: number } {
  let frames: Frame[];
  let device = "";
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch (e) {
      err(`not valid JSON: ${(e as Error).message}`);
      return { frames: 0, rejected: 1 };
    }
    const pairs = Array.isArray(doc) ? doc : (doc as { pairs?: unknown }).pairs;
    device = Array.isArray(doc) ? "" : String((doc as { device?: unknown }).device ?? "");
    if (!Array.isArray(pairs)) {
      err('JSON without a list of {"request", "response"} pairs');
      return { frames: 0, rejected: 1 };
    }
    frames = framesFromPairs(pairs);
  } else frames = framesFromDump(text);

  const mapName = opts.map ?? "auto";
  const maps = mapName === "epever" || (mapName === "auto" && /epsolar|epever|tracer/i.test(device))
    ? [epeverLive(), epeverRated(), epeverSettings()]
    : mapName === "growatt" ? [growattSpf()] : [];

  const reasons = new Map<string, number>();
  const examples: string[] = [];
  let decoded = 0;
  let pending: { bytes: Uint8Array; req: Req } | null = null;
  for (const f of frames) {
    const reject = (why: string) => {
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
      if (examples.length < 10) examples.push(`  frame ${f.n} (${f.where}): ${why}: ${f.hex.slice(0, 80)}`);
    };
    if (f.bin === null) {
      reject("not hex");
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
      const r = pending ? asResponse ?? parseResponse(f.bin, pending.bytes) : parseResponse(f.bin);
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
  if (rejected) {
    err(`${rejected} of ${frames.length} frames rejected: ` + [...reasons].map(([k, v]) => `${k} ${v}`).join(", "));
    for (const e of examples) err(e);
  }
  return { frames: decoded, rejected };
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

const DIRECTION = /^(tx|rx|req|rsp|->|<-|>|<)\s*:?\s*/i;

function framesFromDump(text: string): Frame[] {
  const frames: Frame[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    let line = raw.replace(/(#|\/\/).*$/, "").trim();
    line = line.replace(/^\[[^\]]*\]\s*/, "");
    if (!line) return;
    let dir: Frame["dir"] = null;
    const m = DIRECTION.exec(line);
    if (m) {
      const d = m[1].toLowerCase();
      dir = d === "tx" || d === "req" || d === ">" || d === "->" ? "request" : "response";
      line = line.slice(m[0].length);
    }
    frames.push({ n: frames.length + 1, where: `line ${i + 1}`, hex: line, bin: toBin(line), dir });
  });
  return frames;
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
    const named = nameRegisters(maps, r.f, q.a, r.v);
    if (Object.keys(named).length) o.values = named;
  }
  return o;
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

// VE.Direct HEX protocol: building requests, reading replies, and the registers worth reading. Pure.
// Frame (docs/protocols.md "VE.Direct HEX"): ':' + command nibble + uppercase hex byte pairs + check pair
// + '\n', with (cmd + sum of bytes + check) & 0xFF == 0x55; multi-byte numbers little-endian.
// Commands: 1 ping, 3 app version, 4 product id, 6 restart, 7 Get(id u16, flags u8), 8 Set(id, flags, value).
// Replies: 1 done, 3 unknown, 5 ping (version), 7 get, 8 set, A async; flags 0x01 unknown id, 0x02 not supported,
// 0x04 parameter error; a framing error is answered with the value 0xAAAA (":4AAAAFD", reply nibble 4).
// Frames arrive through the stream parser (vedirect.ts) as their nibbles; decodeHexFrame checks the check byte.
// Node side only (decode CLI, simulator, tests): the board does not send HEX requests. Register names are those of
// Victron's MPPT HEX protocol document (VE_REGISTERS).

import { VeDirectHexFrame } from "./vedirect";

export const VE_HEX_PING = 0x1;
export const VE_HEX_APP_VERSION = 0x3;
export const VE_HEX_PRODUCT_ID = 0x4;
export const VE_HEX_RESTART = 0x6;
export const VE_HEX_GET = 0x7;
export const VE_HEX_SET = 0x8;
export const VE_HEX_ASYNC = 0xa;
// Reply nibbles that differ from the request's.
export const VE_HEX_DONE = 0x1;
export const VE_HEX_UNKNOWN = 0x3;
export const VE_HEX_ERROR = 0x4;
export const VE_HEX_PING_REPLY = 0x5;

export const VE_FLAG_UNKNOWN_ID = 0x01;
export const VE_FLAG_NOT_SUPPORTED = 0x02;
export const VE_FLAG_PARAMETER_ERROR = 0x04;
export const VE_FRAMING_ERROR = 0xaaaa;

/** How a register's value is laid out: unsigned/signed little-endian, text (NUL-terminated), or a structure. */
export type VeRegType = "u8" | "u16" | "s16" | "u32" | "str" | "raw";

export interface VeRegister {
  id: number;
  type: VeRegType;
  /** What it holds, with the unit of one count. */
  what: string;
}

/** Registers by name, from Victron's BlueSolar/SmartSolar MPPT HEX protocol document ("Get and Set items"), each
 *  with its type and the unit of one count. Those a recorded exchange also shows: go-victron =
 *  fixtures/real/vedirect/go-victron-hex-pairs.json (SmartSolar MPPT 100/30), bluesolar = the ':A' frames in
 *  fixtures/real/vedirect/bluesolar_1.23.dump. The history records are decoded by vedirect-history.ts. */
export const VE_REGISTERS: VeRegister[] = [
  // go-victron: GetUint(0x100) = 0xFFA05600; bytes 1..2 hold the product id 0xA056 that ':4' also reports.
  { id: 0x0100, type: "u32", what: "product id (bytes 1..2 = PID)" },
  { id: 0x0104, type: "u8", what: "group id" },
  { id: 0x010a, type: "str", what: "serial number" },
  // go-victron: GetString(0x10B) = "SmartSolar Charger MPPT 100/30".
  { id: 0x010b, type: "str", what: "model name" },
  { id: 0x0140, type: "u32", what: "capabilities (bit mask)" },
  // Device mode and state, codes as MODE and CS in docs/protocols.md "VE.Direct text".
  { id: 0x0200, type: "u8", what: "device mode (MODE codes)" },
  { id: 0x0201, type: "u8", what: "device state (CS codes)" },
  { id: 0x0202, type: "u32", what: "remote control used (bit mask)" },
  { id: 0x0205, type: "u8", what: "device off reason" },
  { id: 0x0207, type: "u32", what: "device off reason (OR bits)" },
  // History (vedirect-history.ts): totals, then today (day 0) and the 30 days before it. bluesolar: the MPPT sent
  // 0x1050 unasked seven times.
  { id: 0x104f, type: "raw", what: "history: totals" },
  { id: 0x1050, type: "raw", what: "history: today (day 0)" },
  { id: 0xedff, type: "u8", what: "BatterySafe mode (0 off, 1 on)" },
  { id: 0xedfe, type: "u8", what: "adaptive mode (0 off, 1 on)" },
  { id: 0xedfd, type: "u8", what: "automatic equalisation mode (days, 0 off)" },
  { id: 0xedfc, type: "u16", what: "battery bulk time limit, 0.01 h" },
  { id: 0xedfb, type: "u16", what: "battery absorption time limit, 0.01 h" },
  { id: 0xedf7, type: "u16", what: "battery absorption voltage, 0.01 V" },
  { id: 0xedf6, type: "u16", what: "battery float voltage, 0.01 V" },
  { id: 0xedf4, type: "u16", what: "battery equalisation voltage, 0.01 V" },
  // go-victron: GetInt(0xEDF2) = -1620.
  { id: 0xedf2, type: "s16", what: "battery temperature compensation, 0.01 mV/K" },
  { id: 0xedf1, type: "u8", what: "battery type" },
  // go-victron: GetUint(0xEDF0) = 0x0096 (the specification's own example).
  { id: 0xedf0, type: "u16", what: "battery maximum current, 0.1 A" },
  { id: 0xedef, type: "u8", what: "battery voltage (system), V" },
  { id: 0xedec, type: "u16", what: "battery temperature, 0.01 K" },
  { id: 0xedea, type: "u8", what: "battery voltage setting, V" },
  { id: 0xede8, type: "u8", what: "BMS present" },
  { id: 0xede7, type: "u16", what: "tail current, 0.1 A" },
  { id: 0xede6, type: "u16", what: "low temperature charge current, 0.1 A" },
  { id: 0xede5, type: "u8", what: "automatic equalisation stop on voltage" },
  { id: 0xede4, type: "u8", what: "equalisation current level, %" },
  { id: 0xede3, type: "u16", what: "equalisation duration, 0.01 h" },
  { id: 0xede0, type: "s16", what: "battery low temperature level, 0.01 °C" },
  { id: 0xeddf, type: "u16", what: "charger maximum current, 0.01 A" },
  { id: 0xeddd, type: "u32", what: "system yield, 0.01 kWh" },
  { id: 0xeddc, type: "u32", what: "user yield (resettable), 0.01 kWh" },
  { id: 0xeddb, type: "s16", what: "charger internal temperature, 0.01 °C" },
  { id: 0xedda, type: "u8", what: "charger error code (ERR codes)" },
  { id: 0xedd7, type: "u16", what: "charger current, 0.1 A" },
  { id: 0xedd5, type: "u16", what: "charger voltage, 0.01 V" },
  { id: 0xedd4, type: "u8", what: "additional charger state info" },
  { id: 0xedd3, type: "u16", what: "yield today, 0.01 kWh" },
  { id: 0xedd2, type: "u16", what: "maximum power today, W" },
  { id: 0xedd1, type: "u16", what: "yield yesterday, 0.01 kWh" },
  // go-victron: GetUint(0xEDD0) = 0.
  { id: 0xedd0, type: "u16", what: "maximum power yesterday, W" },
  { id: 0xedbc, type: "u32", what: "panel power, 0.01 W" },
  { id: 0xedbb, type: "u16", what: "panel voltage, 0.01 V" },
  { id: 0xedbd, type: "u16", what: "panel current, 0.1 A" },
  { id: 0xedb8, type: "u16", what: "panel maximum voltage, 0.01 V" },
  { id: 0xedb3, type: "u8", what: "tracker mode (MPPT codes)" },
  { id: 0xedad, type: "u16", what: "load current, 0.1 A" },
  { id: 0xedab, type: "u8", what: "load output control" },
  { id: 0xeda8, type: "u8", what: "load output state" },
];

/** A register's entry; the day records 0x1051..0x106E are named after 0x1050's. */
export function veRegister(id: number): VeRegister | undefined {
  for (let i = 0; i < VE_REGISTERS.length; i++) if (VE_REGISTERS[i].id === id) return VE_REGISTERS[i];
  if (id > 0x1050 && id <= 0x106e) return { id: id, type: "raw", what: "history: day " + (id - 0x1050) + " (days before today)" };
  return undefined;
}

const HEXCH = "0123456789ABCDEF";

function hex2(b: number): string {
  return HEXCH.charAt((b >> 4) & 15) + HEXCH.charAt(b & 15);
}

/** ':' + command nibble + bytes + check + '\n'. */
export function encodeHexFrame(cmd: number, bytes: ArrayLike<number>): string {
  let s = ":" + HEXCH.charAt(cmd & 15);
  let sum = cmd & 15;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] & 0xff;
    s += hex2(b);
    sum += b;
  }
  return s + hex2((0x55 - sum) & 0xff) + "\n";
}

/** Little-endian bytes of an unsigned (or two's-complement) number. */
export function leBytes(v: number, size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    out.push(v & 0xff);
    v = Math.floor(v / 256); // not >>: keeps 32-bit values positive
  }
  return out;
}

export function hexPing(): string {
  return encodeHexFrame(VE_HEX_PING, []);
}

export function hexAppVersion(): string {
  return encodeHexFrame(VE_HEX_APP_VERSION, []);
}

export function hexProductId(): string {
  return encodeHexFrame(VE_HEX_PRODUCT_ID, []);
}

/** Get(id, flags): ":7" + id LE + flags. */
export function hexGet(id: number, flags?: number): string {
  return encodeHexFrame(VE_HEX_GET, [id & 0xff, (id >> 8) & 0xff, (flags || 0) & 0xff]);
}

/** Set(id, flags, value): value as `size` little-endian bytes (negative numbers in two's complement). */
export function hexSet(id: number, flags: number, value: number, size: number): string {
  const b = [id & 0xff, (id >> 8) & 0xff, flags & 0xff];
  // not Math.pow: on the interpreter Math.pow(2, 16) is 65535.99999999998 (measured on Espruino 2v29)
  const v = value < 0 ? value + (size >= 4 ? 4294967296 : 1 << (8 * size)) : value;
  const le = leBytes(v, size);
  for (let i = 0; i < le.length; i++) b.push(le[i]);
  return encodeHexFrame(VE_HEX_SET, b);
}

/** A frame as the parser gives it (":" + command nibble + byte pairs + check pair, without the '\n'), or undefined
 *  when it is not one: wrong length, not hex, or (cmd + sum of bytes + check) & 0xFF is not 0x55. */
export function decodeHexFrame(frame: string): VeDirectHexFrame | undefined {
  const n = frame.length;
  // not RegExp: the interpreter (Espruino 2v29) does not match a repeated group such as ([0-9A-F]{2})+
  if (frame.charAt(0) !== ":" || n & 1 || n < 4) return undefined;
  for (let j = 1; j < n; j++) if (isNaN(parseInt(frame.charAt(j), 16))) return undefined;
  const cmd = parseInt(frame.charAt(1), 16);
  const data: number[] = [];
  let sum = cmd;
  for (let j = 2; j < n; j += 2) {
    const b = parseInt(frame.substring(j, j + 2), 16);
    sum += b;
    data.push(b);
  }
  if ((sum & 0xff) !== 0x55) return undefined;
  data.pop(); // the check byte
  return { cmd: cmd, data: new Uint8Array(data) };
}

/** Unsigned little-endian number from bytes [from, to). */
export function leUint(d: ArrayLike<number>, from: number, to: number): number {
  let v = 0;
  for (let i = to - 1; i >= from; i--) v = v * 256 + d[i];
  return v;
}

export type VeHexReply =
  | { kind: "done"; value: number | null }
  | { kind: "unknown" }
  | { kind: "error"; value: number | null; framing: boolean }
  | { kind: "ping"; version: number | null }
  | {
      kind: "get" | "set" | "async";
      id: number;
      flags: number;
      /** The value bytes (none when a flag says there is no value). */
      data: Uint8Array;
      /** Unsigned little-endian value of 1, 2 or 4 bytes, else null; see veRegisterValue for types. */
      value: number | null;
    }
  | { kind: "other"; cmd: number };

/** Reads a frame from the device. The meaning of a "done" value depends on the request (product id, version). */
export function decodeHexReply(f: VeDirectHexFrame): VeHexReply {
  const d = f.data;
  const n = d.length;
  const u16 = n >= 2 ? d[0] | (d[1] << 8) : null;
  switch (f.cmd) {
    case VE_HEX_DONE:
      return { kind: "done", value: u16 };
    case VE_HEX_UNKNOWN:
      return { kind: "unknown" };
    case VE_HEX_ERROR:
      return { kind: "error", value: u16, framing: u16 === VE_FRAMING_ERROR };
    case VE_HEX_PING_REPLY:
      return { kind: "ping", version: u16 };
    case VE_HEX_GET:
    case VE_HEX_SET:
    case VE_HEX_ASYNC: {
      if (n < 3) return { kind: "other", cmd: f.cmd };
      const v = d.slice(3);
      const m = v.length;
      return {
        kind: f.cmd === VE_HEX_GET ? "get" : f.cmd === VE_HEX_SET ? "set" : "async",
        id: d[0] | (d[1] << 8),
        flags: d[2],
        data: v,
        value: m === 1 || m === 2 || m === 4 ? leUint(v, 0, m) : null,
      };
    }
    default:
      return { kind: "other", cmd: f.cmd };
  }
}

/** A register's value read by its type: number (s16 signed), text up to the first NUL, or null (raw, unknown, or
 *  the wrong number of bytes). */
export function veRegisterValue(id: number, data: ArrayLike<number>): number | string | null {
  const r = veRegister(id);
  if (!r) return null;
  const m = data.length;
  switch (r.type) {
    case "u8":
      return m === 1 ? data[0] : null;
    case "u16":
      return m === 2 ? leUint(data, 0, 2) : null;
    case "s16": {
      if (m !== 2) return null;
      const v = leUint(data, 0, 2);
      return v >= 0x8000 ? v - 0x10000 : v;
    }
    case "u32":
      return m === 4 ? leUint(data, 0, 4) : null;
    case "str": {
      let s = "";
      for (let i = 0; i < m && data[i] !== 0; i++) s += String.fromCharCode(data[i]);
      return s;
    }
    default:
      return null;
  }
}

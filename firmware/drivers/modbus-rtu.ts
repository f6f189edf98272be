// Modbus RTU codec, pure: CRC, request building, request/response parsing.
// References: "Modbus over serial line V1.02" (MOSL) §2.5.1 (RTU framing), §2.5.1.2 and §6.2.2 (CRC);
// "Modbus application protocol V1.1b3" (MAP) §6 (function codes), §7 (exception codes).
// Frames on the wire are Espruino binary strings (one char per byte); requests are built as Uint8Array.

export const FC_READ_COILS = 0x01;
export const FC_READ_DISCRETE = 0x02;
export const FC_READ_HOLDING = 0x03;
export const FC_READ_INPUT = 0x04;
export const FC_WRITE_COIL = 0x05;
export const FC_WRITE_SINGLE = 0x06;
export const FC_WRITE_MULTIPLE = 0x10;
export const FC_DEVICE_ID = 0x2b;
/** MAP §6.21: MEI type "Read Device Identification" carried by function 0x2B. */
export const MEI_DEVICE_ID = 0x0e;

// Rejection codes: one counter each (the master counts them per slave). E_EXCEPTION is a valid answer.
export const OK = 0;
export const E_SHORT = 1;
export const E_CRC = 2;
export const E_SLAVE = 3;
export const E_FUNC = 4;
export const E_COUNT = 5;
export const E_ECHO = 6;
export const E_EXCEPTION = 7;
export const E_TIMEOUT = 8;
export const REJECT_NAMES = ["ok", "truncated", "crc", "wrong slave", "wrong function", "byte count", "echo mismatch", "exception", "timeout"];

/** MAP §7 exception codes. */
export function exceptionName(code: number): string {
  return ["", "illegal function", "illegal data address", "illegal data value", "server device failure", "acknowledge",
    "server device busy", "", "memory parity error", "", "gateway path unavailable",
    "gateway target device failed to respond"][code] || "unknown exception";
}

let crcTable: Uint16Array | undefined;

/** CRC-16/MODBUS (MOSL §6.2.2): init 0xFFFF, reflected polynomial 0xA001, no final xor. Table built on first use. */
export function crc16(d: string | ArrayLike<number>, from = 0, to = d.length): number {
  let t = crcTable;
  if (!t) {
    t = crcTable = new Uint16Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
      t[i] = c;
    }
  }
  let c = 0xffff;
  if (typeof d === "string") for (let i = from; i < to; i++) c = (c >>> 8) ^ t[(c ^ d.charCodeAt(i)) & 0xff];
  else for (let i = from; i < to; i++) c = (c >>> 8) ^ t[(c ^ d[i]) & 0xff];
  return c;
}

/** True when the last two bytes of frame[0..len) are the CRC of the bytes before them, low byte first (MOSL §2.5.1.2). */
export function crcOk(f: string, len = f.length): boolean {
  return len >= 4 && crc16(f, 0, len - 2) === (f.charCodeAt(len - 2) | (f.charCodeAt(len - 1) << 8));
}

/** Appends the CRC (low byte first) to a PDU with its address. */
export function adu(bytes: ArrayLike<number>): Uint8Array {
  const n = bytes.length;
  const a = new Uint8Array(n + 2);
  for (let i = 0; i < n; i++) a[i] = bytes[i];
  const c = crc16(a, 0, n);
  a[n] = c & 0xff;
  a[n + 1] = c >> 8;
  return a;
}

function okAddr(x: number): boolean {
  return x >= 0 && x <= 0xffff && x === (x | 0);
}

/** FC 01/02 (qty 1..2000) and 03/04 (qty 1..125), MAP §6.1-6.4. null for arguments outside the specification. */
export function readRequest(slave: number, fc: number, start: number, qty: number): Uint8Array | null {
  const max = fc === FC_READ_HOLDING || fc === FC_READ_INPUT ? 125 : fc === FC_READ_COILS || fc === FC_READ_DISCRETE ? 2000 : 0;
  if (qty < 1 || qty > max || !okAddr(start) || start + qty > 0x10000) return null;
  return adu([slave, fc, start >> 8, start & 0xff, qty >> 8, qty & 0xff]);
}

/** FC 06, MAP §6.6. */
export function writeSingleRequest(slave: number, reg: number, value: number): Uint8Array | null {
  if (!okAddr(reg) || !okAddr(value)) return null;
  return adu([slave, FC_WRITE_SINGLE, reg >> 8, reg & 0xff, value >> 8, value & 0xff]);
}

/** FC 05, MAP §6.5: ON is 0xFF00, OFF is 0x0000. */
export function writeCoilRequest(slave: number, coil: number, on: boolean): Uint8Array | null {
  if (!okAddr(coil)) return null;
  return adu([slave, FC_WRITE_COIL, coil >> 8, coil & 0xff, on ? 0xff : 0, 0]);
}

/** FC 0x10, MAP §6.12: qty 1..123. */
export function writeMultipleRequest(slave: number, start: number, values: ArrayLike<number>): Uint8Array | null {
  const q = values.length;
  if (q < 1 || q > 123 || !okAddr(start) || start + q > 0x10000) return null;
  const b = [slave, FC_WRITE_MULTIPLE, start >> 8, start & 0xff, 0, q, q * 2];
  for (let i = 0; i < q; i++) {
    if (!okAddr(values[i])) return null;
    b.push(values[i] >> 8, values[i] & 0xff);
  }
  return adu(b);
}

/** FC 0x2B / MEI 0x0E, MAP §6.21: code 1 basic, 2 regular, 3 extended, 4 one object. */
export function deviceIdRequest(slave: number, code = 1, objectId = 0): Uint8Array {
  return adu([slave, FC_DEVICE_ID, MEI_DEVICE_ID, code, objectId]);
}

function u8(f: string, i: number): number {
  return f.charCodeAt(i);
}

function u16(f: string, i: number): number {
  return (f.charCodeAt(i) << 8) | f.charCodeAt(i + 1);
}

/** Length of the response ADU at the start of b: 0 while the header is incomplete, -1 when not predictable. */
export function responseLength(b: string): number {
  if (b.length < 2) return 0;
  const fc = u8(b, 1);
  if (fc & 0x80) return 5; // MAP §7: addr, fc|0x80, code, CRC
  if (fc <= FC_READ_INPUT) return b.length < 3 ? 0 : 5 + u8(b, 2);
  if (fc === FC_WRITE_COIL || fc === FC_WRITE_SINGLE || fc === 0x0f || fc === FC_WRITE_MULTIPLE) return 8;
  if (fc !== FC_DEVICE_ID) return -1;
  // addr fc mei code conformity more next count, then count x (id, len, value)
  if (b.length < 8) return 0;
  if (u8(b, 2) !== MEI_DEVICE_ID) return -1;
  let p = 8;
  for (let n = u8(b, 7); n > 0; n--) {
    if (b.length < p + 2) return 0;
    p += 2 + u8(b, p + 1);
  }
  return p + 2;
}

/** Length of the request ADU at the start of b, as responseLength. */
export function requestLength(b: string): number {
  if (b.length < 2) return 0;
  const fc = u8(b, 1);
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 0x0f || fc === FC_WRITE_MULTIPLE) return b.length < 7 ? 0 : 9 + u8(b, 6);
  if (fc === FC_DEVICE_ID) return 7;
  return -1;
}

// Length and CRC of a frame whose expected length is len (0 unknown yet, -1 unpredictable): MOSL §2.5.1.
// A frame that stops before its expected length is truncated; one with a good CRC at its expected length
// but more bytes after it has a bad length; an unpredictable function with a good CRC is unsupported.
function frameCheck(f: string, len: number): number {
  if (f.length < 4 || f.length < len) return E_SHORT;
  if (!crcOk(f)) return len === 0 ? E_SHORT : len > 0 && f.length > len && crcOk(f, len) ? E_COUNT : E_CRC;
  return len < 0 ? E_FUNC : len !== f.length ? E_COUNT : OK;
}

/** A parsed request (used by the slave model and the capture decoder). */
export interface Req {
  e: number; // OK, E_SHORT, E_CRC, E_FUNC (unsupported) or E_COUNT
  s: number;
  f: number;
  a: number; // start address (FC 2B: read device id code)
  q: number; // quantity, or the value for FC 05/06 (FC 2B: object id)
  v?: Uint16Array; // FC 0x10 values
}

export function parseRequest(f: string): Req {
  const r: Req = { e: OK, s: f.length ? u8(f, 0) : -1, f: f.length > 1 ? u8(f, 1) : -1, a: 0, q: 0 };
  const e = frameCheck(f, requestLength(f));
  if (e !== OK) {
    r.e = e;
    return r;
  }
  if (r.f === FC_DEVICE_ID) {
    r.a = u8(f, 3);
    r.q = u8(f, 4);
    if (u8(f, 2) !== MEI_DEVICE_ID) r.e = E_FUNC;
    return r;
  }
  r.a = u16(f, 2);
  r.q = u16(f, 4);
  if (r.f === FC_WRITE_MULTIPLE) {
    if (u8(f, 6) !== 2 * r.q) r.e = E_COUNT;
    const v = (r.v = new Uint16Array(u8(f, 6) >> 1));
    for (let i = 0; i < v.length; i++) v[i] = u16(f, 7 + 2 * i);
  }
  return r;
}

/** A parsed response. Field names are short: these objects live in the interpreter. */
export interface Reply {
  e: number; // OK, E_EXCEPTION, or the rejection code
  s: number; // slave id in the frame, -1 when empty
  f: number; // function code in the frame, -1 when absent
  x?: number; // exception code (e === E_EXCEPTION)
  v?: Uint16Array; // FC 03/04 registers
  b?: Uint8Array; // FC 01/02 bits, one byte (0/1) each
  a?: number; // FC 05/06/0F/10 echoed address
  q?: number; // FC 05/06 echoed value, FC 0F/10 echoed quantity
  o?: { [id: number]: string }; // FC 2B/0E objects by id (0 vendor, 1 product code, 2 revision, ...)
}

/**
 * Parses a response frame. With the request it was sent for, also checks slave id, function, byte count
 * and echo; without it (capture decoding) only the frame's own consistency. Never throws.
 */
export function parseResponse(f: string, req?: ArrayLike<number>): Reply {
  const r: Reply = { e: OK, s: f.length ? u8(f, 0) : -1, f: f.length > 1 ? u8(f, 1) : -1 };
  const len = responseLength(f);
  r.e = frameCheck(f, len);
  if (r.e === E_FUNC || r.e === E_COUNT) r.e = OK; // judged below, after the address
  if (r.e !== OK) return r;
  if (req && r.s !== req[0]) r.e = E_SLAVE;
  else if (r.f & 0x80) {
    if (req && (r.f & 0x7f) !== req[1]) r.e = E_FUNC;
    else if (f.length !== 5) r.e = E_COUNT;
    else {
      r.e = E_EXCEPTION;
      r.x = u8(f, 2);
    }
  } else if (req && r.f !== req[1]) r.e = E_FUNC;
  else if (len < 0) r.e = E_FUNC;
  else if (f.length !== len) r.e = E_COUNT;
  if (r.e === OK) body(f, r, req);
  return r;
}

// The function-specific part of a response whose frame (length, CRC, address) is already checked.
function body(f: string, r: Reply, req?: ArrayLike<number>): void {
  const fc = r.f;
  const n = f.length - 5; // data bytes after the byte count
  const rq = req ? (req[4] << 8) | req[5] : -1;
  if (fc === FC_READ_HOLDING || fc === FC_READ_INPUT) {
    if (n & 1 || (req && n !== 2 * rq)) r.e = E_COUNT;
    else {
      const v = (r.v = new Uint16Array(n >> 1));
      for (let i = 0; i < v.length; i++) v[i] = u16(f, 3 + 2 * i);
    }
  } else if (fc === FC_READ_COILS || fc === FC_READ_DISCRETE) {
    const q = req ? rq : n * 8;
    if (n !== (q + 7) >> 3) r.e = E_COUNT;
    else {
      const b = (r.b = new Uint8Array(q));
      for (let i = 0; i < q; i++) b[i] = (u8(f, 3 + (i >> 3)) >> (i & 7)) & 1; // MAP §6.1: LSB of the first byte first
    }
  } else if (fc === FC_DEVICE_ID) {
    const o: { [id: number]: string } = (r.o = {});
    for (let p = 8, k = u8(f, 7); k > 0; k--) {
      o[u8(f, p)] = f.substr(p + 2, u8(f, p + 1));
      p += 2 + u8(f, p + 1);
    }
  } else {
    r.a = u16(f, 2);
    r.q = u16(f, 4);
    // 05/06 echo the whole request; 0F/10 echo the address and quantity (MAP §6.5, 6.6, 6.11, 6.12)
    if (req) for (let i = 2; i < 6; i++) if (u8(f, i) !== req[i]) r.e = E_ECHO;
  }
}

/** int16 from a register. */
export function s16(x: number): number {
  return x & 0x8000 ? x - 0x10000 : x;
}

/** 32-bit value from two registers at v[i], v[i+1]: lowFirst for EPEver, high word first for Growatt and SunSpec. */
export function word32(v: ArrayLike<number>, i: number, lowFirst: boolean, signed: boolean): number {
  const hi = lowFirst ? v[i + 1] : v[i];
  const lo = lowFirst ? v[i] : v[i + 1];
  return signed ? (hi << 16) | lo : hi * 65536 + lo;
}

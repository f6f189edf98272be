// One queued batch as it lies in a queue page file (Storage file "mq<n>", pre-allocated, filled at offsets).
// Flash can only clear bits and Storage.write refuses to program bytes that are not 0xFF, so a record is written
// once, in one Storage.write, and later changed only by clearing its acknowledgement word.
//
// Layout, little-endian, every record starts on a 4-byte boundary (32-bit flash words on STM32F4/nRF52 are then
// programmed once, apart from the ack word which goes from all-ones to all-zeros once):
//   +0  ack word   FF FF FF FF until acknowledged, 00 00 00 00 after (not part of the record write)
//   +4  u16 length of the text, u16 its complement (a length torn by a power cut fails the pair test)
//   +8  u32 boot, +12 u32 first seq, +16 u32 last seq (a merged batch covers first..last)
//   +20 u32 CRC-32 of bytes +4..+20 and the text (a record torn anywhere fails it and is skipped, never read)
//   +24 text (the serialised batch, a binary string), then 0xFF padding to the next 4-byte boundary
// A page file starts with the 4-byte tag PAGE_TAG; the first record is at offset 4.

/** Tag at offset 0 of every page file (format 1). */
export const PAGE_TAG = "MQ1\x00";
export const RECORD_HEADER_BYTES = 24;
/** Written over the ack word when the gateway has acknowledged the record. */
export const ACK_WORD = "\x00\x00\x00\x00";

export type Crc = (data: string) => number;

// What a scan finds at one offset of a page (readRecord's result).
/** Valid record (see readRecord's out fields). */
export const SLOT_OK = 0;
/** Never written: the page's data ends here. */
export const SLOT_EMPTY = 1;
/** Length written but the record fails its CRC: skip to `next`. */
export const SLOT_TORN = 2;
/** The length itself is torn or impossible: nothing after this point can be located. */
export const SLOT_BROKEN = 3;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Bytes a record with a text of `len` bytes takes in a page. */
export function recordBytes(len: number): number {
  return RECORD_HEADER_BYTES + align4(len);
}

function u16(n: number): string {
  return String.fromCharCode(n & 255, (n >> 8) & 255);
}

function u32(n: number): string {
  return String.fromCharCode(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
}

export function readU16(d: string, at: number): number {
  return d.charCodeAt(at) | (d.charCodeAt(at + 1) << 8);
}

export function readU32(d: string, at: number): number {
  return (d.charCodeAt(at) | (d.charCodeAt(at + 1) << 8) | (d.charCodeAt(at + 2) << 16) | (d.charCodeAt(at + 3) << 24)) >>> 0;
}

/** The bytes written at record offset + 4 (everything but the ack word). `text` must be a binary string. */
export function encodeRecord(b: number, s: number, e: number, text: string, crc: Crc): string {
  const head = u16(text.length) + u16(~text.length & 0xffff) + u32(b) + u32(s) + u32(e);
  return head + u32(crc(head + text)) + text;
}

/** Scan result fields of the last readRecord call (one object reused: no allocation per record). */
export interface RecordInfo {
  /** Offset of the next record. */
  next: number;
  len: number;
  b: number;
  s: number;
  e: number;
  /** 1 when the ack word is no longer erased (a torn ack counts as acknowledged: the PUBACK had come). */
  acked: number;
}

/** Look at the record at `at` of page data `d` (the whole file as read from Storage). */
export function readRecord(d: string, at: number, crc: Crc, out: RecordInfo): number {
  if (at + RECORD_HEADER_BYTES > d.length) return SLOT_EMPTY;
  const len = readU16(d, at + 4);
  const inv = readU16(d, at + 6);
  if (len === 0xffff && inv === 0xffff) return SLOT_EMPTY;
  if ((len ^ inv) !== 0xffff || at + recordBytes(len) > d.length) return SLOT_BROKEN;
  out.next = at + recordBytes(len);
  out.len = len;
  out.b = readU32(d, at + 8);
  out.s = readU32(d, at + 12);
  out.e = readU32(d, at + 16);
  out.acked = readU32(d, at) !== 0xffffffff ? 1 : 0;
  const sum = crc(d.substr(at + 4, 16) + d.substr(at + RECORD_HEADER_BYTES, len)) >>> 0;
  return sum === readU32(d, at + 20) ? SLOT_OK : SLOT_TORN;
}

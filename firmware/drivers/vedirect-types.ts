// What the VE.Direct stream parser (vedirect.ts) takes and gives, and its size limits.

/** label -> raw value, as the device sent it (the Checksum field is not included). */
export type VeDirectFields = { [label: string]: string };

/** One HEX frame with a valid check byte: command nibble and the bytes between it and the check byte. */
export interface VeDirectHexFrame {
  cmd: number;
  data: Uint8Array;
}

export type VeDirectReject = "checksum" | "oversize" | "framing" | "hex" | "truncated";

export interface VeDirectCounters {
  /** Every byte pushed. */
  bytes: number;
  /** Text blocks delivered (good checksum). */
  blocks: number;
  /** HEX frames delivered (good check byte). */
  hexFrames: number;
  badChecksum: number;
  /** Label, value, field count or HEX frame over the caps below. */
  oversize: number;
  /** Bytes that cannot be where they are: a line break in a label, '\n' or '\t' in a value, '\r' without '\n',
   *  junk between blocks, an empty label or block, a label given twice. Other odd bytes are left to the sum. */
  framing: number;
  /** HEX frames with a bad character, odd length or bad check byte. */
  badHex: number;
  /** Blocks cut short by a gap in the stream (see gap()). */
  truncated: number;
  /** 1 when the stream started inside a block; that block is discarded without counting as an error. */
  partialStart: number;
}

export interface VeDirectParserOptions {
  onBlock?: (fields: VeDirectFields) => void;
  onHex?: (frame: VeDirectHexFrame) => void;
  onReject?: (reason: VeDirectReject, detail: string) => void;
}

export interface VeDirectParser {
  push(chunk: string): void;
  /** The line went quiet (the I/O part decides how long): a block in progress is dropped as truncated, and the next
   *  byte is taken as the start of a block (devices send each block in one burst, about one a second). */
  gap(): void;
  readonly counters: VeDirectCounters;
}

// Caps: the spec's limits (label <= 8, value <= 32, <= 22 fields a block; protocols.md "VE.Direct text") with room
// to spare, so an unusual but honest device is not refused. HEX: bytes after the command nibble, check included;
// the longest seen is 38 (bluesolar's async 0x1050: id 2, flags 1, value 34, check 1).
export const VE_MAX_LABEL = 12;
export const VE_MAX_VALUE = 40;
export const VE_MAX_FIELDS = 30;
export const VE_MAX_HEX_BYTES = 40;

// What the VE.Direct stream parser (vedirect.ts) takes and gives, and its size limits.

/** label -> raw value, as the device sent it (the Checksum field is not included). */
export type VeDirectFields = { [label: string]: string };

/** One HEX frame with a valid check byte: command nibble and the bytes between it and the check byte
 *  (vedirect-hex.ts decodeHexFrame reads it from the nibbles the parser gives). */
export interface VeDirectHexFrame {
  cmd: number;
  data: Uint8Array;
}

/** Why something was refused; each reason is also the name of its counter. */
export type VeDirectReject = "checksum" | "oversize" | "framing" | "hex" | "truncated";

export interface VeDirectCounters {
  /** Every byte pushed. */
  bytes: number;
  /** Text blocks delivered (good checksum). */
  blocks: number;
  /** HEX frames passed on (':', hex digits, '\n'); their length and check byte are the reader's (decodeHexFrame). */
  hexFrames: number;
  /** Blocks whose bytes do not sum to 0 mod 256. */
  checksum: number;
  /** Label, value, field count or whole block over the caps below. */
  oversize: number;
  /** Bytes that cannot be where they are: junk before a block, a field without a tab, an empty label or block, a
   *  label given twice, a Checksum field that does not follow "\r\n" (once a run of junk: the whole block after it
   *  is still taken). Other odd bytes are left to the sum. */
  framing: number;
  /** HEX frames cut by a byte that is not a hex digit, or too long. */
  hex: number;
  /** Blocks (or HEX frames) cut short by a gap in the stream, or by its end (see push). */
  truncated: number;
  /** 1 when the stream started inside a block (bytes before the first "\r\n", or a first block that fails): that
   *  part is discarded without counting as an error. */
  partialStart: number;
}

/** Quality codes of the samples: ok, stale, failed. */
export type VeQuality = "o" | "s" | "f";

export interface VeDirectParser {
  /** Bytes as they come (one character a byte, as Espruino's Serial gives them). `gap`: the line was quiet before
   *  them: a block in progress is dropped as truncated, and the first of these bytes is taken as the start of a
   *  block (devices send each block in one burst, about one a second). With a clock the parser tells gaps itself.
   *  push("", true) at the end of a capture refuses an incomplete last block as truncated. */
  push(chunk: string, gap?: boolean): void;
  readonly counters: VeDirectCounters;
  /** With a clock: the quality now; when it is not ok, onBlock hears it too, without fields (the board then reports
   *  its main quantities as null with that quality). Called every sample period. */
  poll(): VeQuality;
}

// Caps: the spec's limits (label <= 8, value <= 32, <= 22 fields a block; docs/protocols.md "VE.Direct text") with room
// to spare, so an unusual but honest device is not refused. HEX: bytes after the command nibble, check included;
// the longest seen is 38 (bluesolar's async 0x1050: id 2, flags 1, value 34, check 1). A block is held whole until
// its checksum byte, so it is capped too: fields at their caps, plus "\r\n", tab and the Checksum field.
export const VE_MAX_LABEL = 12;
export const VE_MAX_VALUE = 40;
export const VE_MAX_FIELDS = 30;
export const VE_MAX_HEX_BYTES = 40;
/** VE_MAX_FIELDS * (VE_MAX_LABEL + VE_MAX_VALUE + 3) + 12 (a test checks it). */
export const VE_MAX_BLOCK = 1662;

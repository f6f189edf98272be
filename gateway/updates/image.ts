// A firmware image as `minigrid build` writes it (dist/firmware/<board>.js): its first line names the board and the
// version (cli/build/compile-firmware.ts imageHeader). Pure: read the header, compare versions, CRC-32, cut chunks.
import { crc32 } from "node:zlib";

export interface FirmwareImage {
  board: string;
  version: string;
  text: string;
  bytes: number;
  crc: number;
}

/** The image, or a RangeError that says what is wrong with it. */
export function readImage(text: string): FirmwareImage {
  const m = /^\/\*minigrid ([a-z0-9-]+) ([0-9A-Za-z.+-]+)\*\/\n/.exec(text);
  if (!m) throw new RangeError("image: not a firmware file built by minigrid build (its first line must be /*minigrid <board> <version>*/)");
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // the node reads the end of what it has staged as its first erased byte (0xFF): an image is ASCII
    if (c > 0x7e || (c < 0x20 && c !== 10 && c !== 9)) throw new RangeError(`image: byte ${i} is not printable ASCII (0x${c.toString(16)}); rebuild it with minigrid build`);
  }
  return { board: m[1], version: m[2], text, bytes: text.length, crc: crc32(text) };
}

/** -1, 0 or 1 as version a is older than, the same as or newer than b: dotted numbers compared as numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const d = Number.isNaN(nx) || Number.isNaN(ny) ? (x < y ? -1 : x > y ? 1 : 0) : Math.sign(nx - ny);
    if (d !== 0) return d;
  }
  return 0;
}

/** Largest chunk from `at` whose JSON string fits `maxJson` bytes in a command (the node's MQTT packet limit). */
export function chunkAt(text: string, at: number, maxBytes: number, maxJson: number): string {
  let n = Math.min(maxBytes, text.length - at);
  while (n > 16 && JSON.stringify(text.slice(at, at + n)).length > maxJson) n = Math.floor(n * 0.9);
  return text.slice(at, at + n);
}

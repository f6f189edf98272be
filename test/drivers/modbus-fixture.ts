// Shared by the Modbus tests: the real EPEver Tracer capture and byte conversions.
import { readFileSync } from "node:fs";

export interface Pair {
  request: string;
  response: string;
  crc_ok: boolean;
}

export const FIXTURE_URL = new URL("../fixtures/real/modbus/epsolar-tracer-pairs.json", import.meta.url);

export function loadPairs(): Pair[] {
  return JSON.parse(readFileSync(FIXTURE_URL, "utf8")).pairs as Pair[];
}

/** "01 04 02" -> binary string, as a Serial 'data' event delivers it. */
export function hexToBin(hex: string): string {
  return Buffer.from(hex.replace(/\s+/g, ""), "hex").toString("latin1");
}

export function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}

export function binToHex(bin: string): string {
  return Buffer.from(bin, "latin1").toString("hex").replace(/(..)(?!$)/g, "$1 ");
}

export function bytesToBin(b: ArrayLike<number>): string {
  return Buffer.from(Array.prototype.slice.call(b) as number[]).toString("latin1");
}

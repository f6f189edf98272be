// Shared by the Modbus tests: the real EPEver Tracer capture, byte conversions and a scripted fake slave.
import { readFileSync } from "node:fs";
import type { SerialDevice, SerialLine } from "../../sim/devices/types";

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

/** A fake device: answer(request, n) gives [delay ms, bytes] pairs or null (silence). */
export function scripted(answer: (req: string, n: number) => [number, string][] | null): SerialDevice & { requests: string[] } {
  const dev = {
    requests: [] as string[],
    attach(line: SerialLine) {
      line.onFirmwareWrite((bytes) => {
        dev.requests.push(bytes);
        for (const [d, b] of answer(bytes, dev.requests.length) ?? []) line.schedule(d, () => line.sendToFirmware(b));
      });
    },
  };
  return dev;
}

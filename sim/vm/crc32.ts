import { toBinaryString } from "./peripherals";

// Standard CRC-32 (IEEE 802.3, reflected 0xEDB88320), as E.CRC32 computes: "123456789" -> 0xCBF43926.
const table = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c >>> 0;
}

export function crc32(data: unknown): number {
  const s = toBinaryString(data);
  let crc = 0xffffffff;
  for (let i = 0; i < s.length; i++) crc = table[(crc ^ s.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// Node passwords are stored as scrypt hashes (node:crypto; RFC 7914), never in clear:
// "scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>". `minigrid gateway hash-password` prints one.
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const key = scryptSync(password, salt, KEY_BYTES, { N, r: R, p: P });
  return ["scrypt", N, R, P, salt.toString("base64"), key.toString("base64")].join("$");
}

/** True when the text has the form hashPassword writes (checked by the config schema too). */
export function isPasswordHash(text: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(text);
}

export function verifyPassword(password: string | Buffer, stored: string): boolean {
  if (!isPasswordHash(stored)) return false;
  const [, n, r, p, saltB64, keyB64] = stored.split("$");
  const expected = Buffer.from(keyB64, "base64");
  const got = scryptSync(password, Buffer.from(saltB64, "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 256 * Number(n) * Number(r) + 1024 * 1024,
  });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

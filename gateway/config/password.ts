// Node passwords are stored as scrypt hashes (node:crypto; RFC 7914), never in clear:
// "scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>". `minigrid gateway hash-password` prints one.
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from "node:crypto";

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

function parse(stored: string) {
  const [, n, r, p, saltB64, keyB64] = stored.split("$");
  const expected = Buffer.from(keyB64, "base64");
  const salt = Buffer.from(saltB64, "base64");
  const opts = { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * Number(n) * Number(r) + 1024 * 1024 };
  return { expected, salt, opts };
}

/** On this thread: for tools and tests. The broker uses verifyPasswordAsync. */
export function verifyPassword(password: string | Buffer, stored: string): boolean {
  if (!isPasswordHash(stored)) return false;
  const { expected, salt, opts } = parse(stored);
  const got = scryptSync(password, salt, expected.length, opts);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** In libuv's thread pool (node:crypto scrypt), so the event loop goes on with the nodes' messages meanwhile. */
export function verifyPasswordAsync(password: string | Buffer, stored: string): Promise<boolean> {
  if (!isPasswordHash(stored)) return Promise.resolve(false);
  const { expected, salt, opts } = parse(stored);
  return new Promise((resolve, reject) =>
    scrypt(password, salt, expected.length, opts, (err, got) => (err ? reject(err) : resolve(got.length === expected.length && timingSafeEqual(got, expected)))),
  );
}

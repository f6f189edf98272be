/** xorshift32: a tiny deterministic PRNG, uniform in [0, 1), for seeded simulations (never Math.random). */
export function xorshift32(seed: number, zeroSeed = 1): () => number {
  let x = seed >>> 0 || zeroSeed;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

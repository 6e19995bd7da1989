// A small seeded PRNG (xorshift32) for tests: the same seed gives the same sequence, so a failure
// reproduces from the seed it prints.

/** Numbers in [0, 1) from `seed` (0 counts as 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * Seeded pseudo-random numbers for the forest. Each tree gets its own generator derived from (seed, tree index), so a
 * tree's bootstrap sample does not depend on which thread builds it or in which order trees are built.
 */

/** Largest seed accepted: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/** A source of uniformly distributed unsigned 32-bit integers. */
export type Uint32Source = () => number;

/** SplitMix32 step: turns consecutive counter values into well-mixed 32-bit words (used only for seeding). */
function splitMix32(state: { value: number }): number {
  state.value = (state.value + 0x9e37_79b9) | 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** (Blackman & Vigna): fast, 2^128 - 1 period, passes BigCrush; plenty for bootstrap draws.
 * The four state words come from SplitMix32 over a mix of seed and stream, so nearby seeds or tree indices give
 * unrelated sequences.
 */
export function createRandom(seed: number, stream: number): Uint32Source {
  const mixer = { value: (Math.imul(seed >>> 0, 0x2545_f491) ^ Math.imul(stream >>> 0, 0x9e37_79b9)) | 0 };
  let s0 = splitMix32(mixer);
  let s1 = splitMix32(mixer);
  let s2 = splitMix32(mixer);
  let s3 = splitMix32(mixer);
  // The all-zero state is the one fixed point of xoshiro; SplitMix32 makes it practically impossible, but cheap to rule out.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return result;
  };
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/** A uniform integer in [0, bound) from one 32-bit draw (multiply-shift: relative bias at most bound / 2^32). */
export function uniformIndex(random: Uint32Source, bound: number): number {
  return Math.floor((random() * bound) / 0x1_0000_0000);
}

/**
 * Bootstrap sample as counts: `n` draws with replacement from `n` rows, `counts[i]` = times row `i` was drawn
 * (the sample weights scikit-learn's forest passes to each tree).
 */
export function bootstrapCounts(random: Uint32Source, n: number, counts = new Uint32Array(n)): Uint32Array {
  counts.fill(0, 0, n);
  for (let draw = 0; draw < n; draw++) {
    const index = uniformIndex(random, n);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

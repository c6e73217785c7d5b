// Per-attempt order of items and options. It must be reproducible from the seed alone (the order a
// student saw has to be the same on every reload and when a teacher reviews the attempt), so it is
// derived from SHA-256 rather than Math.random, and nothing about it is stored.
import { createHash } from 'node:crypto';

/**
 * A stream of uniform 32-bit integers: SHA-256(seed, counter) for counter = 0, 1, ..., eight words
 * per block. The NUL separator keeps seed "a1" + counter 0 apart from seed "a" + counter 10.
 */
function wordStream(seed: string): () => number {
  let counter = 0;
  let block = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset >= block.length) {
      block = createHash('sha256').update(seed).update('\0').update(String(counter++)).digest();
      offset = 0;
    }
    const word = block.readUInt32BE(offset);
    offset += 4;
    return word;
  };
}

const RANGE = 2 ** 32;

/** A uniform integer in [0, bound): rejection sampling, because `word % bound` favours small values. */
function below(next: () => number, bound: number): number {
  const limit = RANGE - (RANGE % bound);
  for (;;) {
    const word = next();
    if (word < limit) return word % bound;
  }
}

/**
 * A copy of `items` in an order fixed by `seed` (e.g. attempt id + item id): the same seed always
 * gives the same order; different seeds give independent, uniformly distributed orders.
 */
export function shuffled<T>(items: readonly T[], seed: string): T[] {
  const out = [...items];
  const next = wordStream(seed);
  // Fisher–Yates, from the end: every permutation is equally likely given uniform draws.
  for (let i = out.length - 1; i > 0; i--) {
    const j = below(next, i + 1);
    const held = out[i]!;
    out[i] = out[j]!;
    out[j] = held;
  }
  return out;
}

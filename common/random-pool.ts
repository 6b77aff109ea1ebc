/**
 * A crypto-strength PRNG for ulid that draws bytes from a pooled buffer. ulid's own PRNG calls
 * `crypto.getRandomValues` once per character (16 calls per id); on the order path that was a
 * measurable share of the CPU. One `randomBytes` call per `POOL_BYTES` ids' worth instead.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

/** A PRNG (`() => [0, 1)`, the shape ulid takes) backed by a refilled pool of crypto random bytes. */
export function pooledRandom(poolBytes = POOL_BYTES): () => number {
  let pool = randomBytes(poolBytes);
  let at = 0;
  return () => {
    if (at === pool.length) {
      pool = randomBytes(poolBytes);
      at = 0;
    }
    // A byte / 256, as ulid's own PRNG does: each of its 32 characters is then equally likely.
    return pool[at++] / 256;
  };
}

/** One pool for the process's ids. */
export const randomPool = pooledRandom();

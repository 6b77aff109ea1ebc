import { describe, expect, it } from 'vitest';
import { decodeTime, isValid, monotonicFactory } from 'ulid';
import { pooledRandom } from './random-pool.js';

describe('pooledRandom', () => {
  it('hands out byte-sized steps in [0, 1) and refills past the end of its pool', () => {
    const next = pooledRandom(8);
    const values = Array.from({ length: 100 }, next); // 12 refills
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      expect(Number.isInteger(v * 256)).toBe(true);
    }
    // 100 draws of 256 values: a stuck pool (the same bytes again) would repeat its 8-byte run.
    expect(values.slice(0, 8)).not.toEqual(values.slice(8, 16));
    expect(new Set(values).size).toBeGreaterThan(40);
  });

  it('makes valid, increasing ULIDs with ulid\'s monotonic factory', () => {
    const ulid = monotonicFactory(pooledRandom(16));
    const ids = Array.from({ length: 1000 }, () => ulid(1_765_000_000_000));
    for (const id of ids) expect(isValid(id)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(decodeTime(ids[0]!)).toBe(1_765_000_000_000);
    // A fresh millisecond draws fresh randomness: two factories do not collide.
    const other = monotonicFactory(pooledRandom(16));
    expect(other(1_765_000_000_001)).not.toBe(ulid(1_765_000_000_001));
  });
});

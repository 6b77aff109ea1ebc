import { describe, expect, it } from 'vitest';
import { EvidenceIndex } from './evidence-index.js';
import { redisNamespaces } from './test-fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('EvidenceIndex (Redis)', () => {
  const ns = redisNamespaces();
  const index = (clock: { now: number }, prefix = ns.freshPrefix()) => new EvidenceIndex(ns.redis(), prefix, () => clock.now);

  it('records the first arrival per device and evidenceId; a redelivery is fine, other bytes are a conflict', async () => {
    const idx = index({ now: Date.now() });
    expect(await idx.record('pole-1', 'E1', SHA_A)).toBeNull();
    expect(await idx.record('pole-1', 'E1', SHA_A)).toBeNull();
    expect(await idx.record('pole-1', 'E1', SHA_B)).toBe(SHA_A);
    expect(await idx.lookup('pole-1', 'E1')).toBe(SHA_A);
    // Scoped by device: another box's id neither collides nor answers.
    expect(await idx.lookup('pole-2', 'E1')).toBeNull();
    expect(await idx.record('pole-2', 'E1', SHA_B)).toBeNull();
    expect(await idx.lookup('pole-2', 'E1')).toBe(SHA_B);
  });

  it('keeps entries at least a day after their last look-up (through midnight), in hashes that expire', async () => {
    const clock = { now: Math.floor(Date.now() / DAY) * DAY + DAY - 1000 }; // a second before midnight UTC
    const prefix = ns.freshPrefix();
    const idx = index(clock, prefix);
    expect(await idx.record('pole-1', 'E1', SHA_A)).toBeNull();
    expect(await idx.record('pole-1', 'E2', SHA_B)).toBeNull();
    clock.now += DAY; // a day later, in the next day's bucket
    expect(await idx.lookup('pole-1', 'E1')).toBe(SHA_A);
    expect(await idx.record('pole-1', 'E1', SHA_B)).toBe(SHA_A); // still first-wins across buckets
    clock.now += DAY;
    // E1 was looked up a day ago (a long event listing its photos again): still known. E2 was not.
    expect(await idx.lookupMany('pole-1', ['E1', 'E2'])).toEqual([SHA_A, null]);
    clock.now += 2 * DAY;
    expect(await idx.lookup('pole-1', 'E1')).toBeNull();
    const keys = await ns.redis().keys(`${prefix}:ingest:evidence:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await ns.redis().ttl(key)).toBeGreaterThan(0);
  });
});

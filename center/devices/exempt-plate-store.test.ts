/** The exempt plate list against real Redis: normalised plates, expiry on read, and the audit trail. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../../test/helpers/redis-keys.js';
import { REDIS_URL } from '../http/test-store.js';
import { EXPIRY_ACTOR, ExemptPlateStore } from './exempt-plate-store.js';

const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('ExemptPlateStore', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `{swexempt-${randomBytes(4).toString('hex')}}`;
  const store = new ExemptPlateStore(redis, prefix);
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('stores plates normalised, replaces on a second put, removes by any spelling', async () => {
    const entry = await store.put({ plate: 'ab 12-34', reason: 'ambulance' }, 'ada', NOW);
    expect(entry).toEqual({ plate: 'AB1234', reason: 'ambulance', addedBy: 'ada', addedAt: iso(NOW) });
    await store.put({ plate: 'AB1234', reason: 'police' }, 'bob', NOW + 1000);
    await store.put({ plate: 'zz999' }, 'ada', NOW);
    expect(await store.list(NOW)).toEqual([
      { plate: 'AB1234', reason: 'police', addedBy: 'bob', addedAt: iso(NOW + 1000) },
      { plate: 'ZZ999', addedBy: 'ada', addedAt: iso(NOW) },
    ]);
    expect(await store.remove('zz 999', 'bob', NOW + 2000)).toBe(true);
    expect(await store.remove('ZZ999', 'bob', NOW + 2000)).toBe(false);
    expect((await store.list(NOW)).map((e) => e.plate)).toEqual(['AB1234']);
  });

  it('drops entries that expired when read, once, with an audit line', async () => {
    await store.put({ plate: 'EX01', expiresAt: iso(NOW + 60_000) }, 'ada', NOW);
    expect((await store.list(NOW + 59_999)).map((e) => e.plate)).toContain('EX01');
    const [a, b] = await Promise.all([store.list(NOW + 60_000), store.list(NOW + 60_000)]);
    expect(a.map((e) => e.plate)).not.toContain('EX01');
    expect(b.map((e) => e.plate)).not.toContain('EX01');
    const expiries = (await store.auditTrail(100)).filter((l) => l.action === 'expired');
    expect(expiries).toEqual([{ at: iso(NOW + 60_000), by: EXPIRY_ACTOR, action: 'expired', plate: 'EX01' }]);
  });

  it('keeps an audit trail, newest first, naming who did what', async () => {
    const trail = await store.auditTrail(100);
    expect(trail.map((l) => [l.action, l.plate, l.by])).toEqual([
      ['expired', 'EX01', EXPIRY_ACTOR],
      ['added', 'EX01', 'ada'],
      ['removed', 'ZZ999', 'bob'],
      ['added', 'ZZ999', 'ada'],
      ['updated', 'AB1234', 'bob'],
      ['added', 'AB1234', 'ada'],
    ]);
    expect(trail[5]).toMatchObject({ reason: 'ambulance', at: iso(NOW) });
    expect(await store.auditTrail(2)).toHaveLength(2);
  });
});

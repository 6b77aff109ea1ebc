/** The one-off that puts orders from before the place and reporter indexes into them, on the real Redis. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../broker/test-support.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { dropIndexes, reportInput } from '../test/helpers/unindexed-orders.js';
import { ensureOrderIndexes, indexesLockKey, indexesMigratedKey, migrateOrderIndexes } from './index-migration.js';
import { RedisWorkOrderStore } from './work-order-store.js';

const T0 = '2026-12-05T08:00:00.000Z';
const redis = new Redis('redis://127.0.0.1:6379');
const prefixes: string[] = [];

/** A fresh installation (its own prefix). */
function installation() {
  const prefix = `{swreindex-${randomBytes(4).toString('hex')}}`;
  prefixes.push(prefix);
  return { prefix, store: new RedisWorkOrderStore(redis, prefix), near: `${prefix}:wo-geo:near/illegal_parking` };
}

const input = (location: { lat: number; long: number }, user?: string) => reportInput(location, { user, at: T0 });

afterAll(async () => {
  for (const p of prefixes) await deleteKeys(redis, p);
  await redis.quit();
});

describe('order index migration', () => {
  it('puts older open orders back where reports find them, and reported ones in their reporter\'s list, once', async () => {
    const { prefix, store, near } = installation();
    const spot = { lat: 30.1, long: 120.1 };
    const open = (await store.openReport(input(spot, 'ivy'))).order;
    const closed = (await store.openReport(input({ lat: 30.2, long: 120.2 }, 'ivy'))).order;
    await store.transition(closed.id, 'cancelled', 'op');
    const citizens = (await store.openReport(input({ lat: 30.3, long: 120.3 }))).order;
    // As written before the indexes existed, with the zset the GEO set replaces.
    await dropIndexes(redis, prefix, ['ivy']);
    const replaced = `${prefix}:wo-open:near/illegal_parking`;
    await redis.zadd(replaced, Date.parse(T0), open.id);
    expect((await store.list({ reporter: 'ivy' }, { offset: 0, limit: 10 })).total).toBe(0);

    const version = async () => Number(await redis.get(`${prefix}:wo-openver:near/illegal_parking`));
    const versionBefore = await version();
    expect(await migrateOrderIndexes({ redis, prefix, store })).toEqual({ checked: 3 });
    // A report that read the place scope before the migration must read it again.
    expect(await version()).toBeGreaterThan(versionBefore);
    expect((await store.list({ reporter: 'ivy' }, { offset: 0, limit: 10 })).items.map((o) => o.id)).toEqual([closed.id, open.id]);
    expect((await redis.zrange(near, '0', '-1')).sort()).toEqual([open.id, citizens.id].sort());
    expect(await store.openReport(input(spot))).toMatchObject({ created: false, order: { id: open.id } });
    expect(await redis.exists(replaced)).toBe(0);
    // Once per installation.
    expect(await redis.exists(indexesMigratedKey(prefix))).toBe(1);
    expect(await migrateOrderIndexes({ redis, prefix, store })).toBeNull();
  });

  it('reaches the orders past a page that comes back short (one order cannot be read)', async () => {
    const { prefix, store, near } = installation();
    const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
    // Oldest: on the second page, newest first.
    const oldest = (await store.openReport(reportInput({ lat: 31, long: 121 }, { at: at(-3600) }))).order;
    for (let i = 0; i < 200; i++) await store.openReport(reportInput({ lat: 30 + i * 0.01, long: 120 }, { at: at(i) }));
    const broken = (await store.openReport(reportInput({ lat: 29, long: 119 }, { at: at(3600) }))).order;
    await redis.set(`${prefix}:wo:${broken.id}`, 'not json');
    await dropIndexes(redis, prefix);
    expect(await migrateOrderIndexes({ redis, prefix, store })).toEqual({ checked: 201 });
    expect(await redis.zscore(near, oldest.id)).not.toBeNull();
  });

  it('two processes starting together: one migrates, each order once, its lock renewed past its expiry; the other waits for the marker', async () => {
    const { prefix, store, near } = installation();
    const ids = await Promise.all([{ lat: 30.1, long: 120.1 }, { lat: 30.2, long: 120.2 }].map(async (at) => (await store.openReport(input(at))).order.id));
    await dropIndexes(redis, prefix);
    const restored: string[] = [];
    // Each order takes longer than the lock's expiry: without renewal the other would take over and index them again.
    const slow = {
      list: store.list.bind(store),
      restoreIndexes: async (id: string) => {
        restored.push(id);
        await sleep(300);
        return store.restoreIndexes(id);
      },
    };
    const start = async (holder: string) => {
      const log = captureLogger();
      const result = await ensureOrderIndexes({ redis, prefix, store: slow, logger: log.logger, holder, lockMs: 200, pollMs: 20 });
      return { holder, result, markedWhenReturned: await redis.exists(indexesMigratedKey(prefix)), lines: log.lines };
    };
    const [a, b] = await Promise.all([start('a'), start('b')]);

    const [migrator, waiter] = a.result ? [a, b] : [b, a];
    expect(migrator.result).toEqual({ checked: 2 });
    expect(waiter.result).toBeNull();
    expect(restored.sort()).toEqual(ids.sort());
    expect(waiter.markedWhenReturned).toBe(1);
    expect(waiter.lines).toContainEqual(expect.objectContaining({ holder: migrator.holder, msg: expect.stringMatching(/^waiting for another process/) }));
    expect(await redis.exists(indexesLockKey(prefix))).toBe(0);
    expect((await redis.zrange(near, '0', '-1')).sort()).toEqual(ids.sort());
  });

  it('a migrator that died holding the lock holds the next one up only until the lock lapses', async () => {
    const { prefix, store } = installation();
    const spot = { lat: 30.1, long: 120.1 };
    const old = (await store.openReport(input(spot))).order;
    await dropIndexes(redis, prefix);
    await redis.set(indexesLockKey(prefix), 'dead-1', 'PX', 500);
    const log = captureLogger();
    const started = Date.now();

    expect(await ensureOrderIndexes({ redis, prefix, store, logger: log.logger, holder: 'next', pollMs: 20 })).toEqual({ checked: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(log.lines).toContainEqual(expect.objectContaining({ holder: 'dead-1' }));
    expect(await redis.exists(indexesMigratedKey(prefix))).toBe(1);
    expect(await redis.exists(indexesLockKey(prefix))).toBe(0);
    expect(await store.openReport(input(spot))).toMatchObject({ created: false, order: { id: old.id } });
  });
});

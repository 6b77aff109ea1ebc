import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { seedOrder } from '../center/http/test-store.js';
import { dispatchJobId } from './dispatcher.js';
import { migrateOrderNotices } from './order-notices.js';
import { OutboxDrainer } from './outbox-drainer.js';
import { createQueues } from './queues.js';
import { RedisWorkOrderStore } from './work-order-store.js';

const DAY = 24 * 60 * 60 * 1000;

describe('order notices of orders from before the outbox', () => {
  const redis = new Redis({ maxRetriesPerRequest: null });
  const prefix = `{swnotice-${randomBytes(4).toString('hex')}}`;
  const store = new RedisWorkOrderStore(redis, prefix);
  const queues = createQueues(redis, prefix);
  const drainer = new OutboxDrainer({ redis, prefix, queues, consumer: 'notices-test', logger: pino({ level: 'silent' }) });
  afterAll(async () => {
    await drainer.close();
    await queues.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const noticeJob = (orderId: string) => queues.dispatch.getJob(dispatchJobId({ orderId, kind: 'order', audience: 'team', seq: '1' }));

  it('queues the team notice of each recent told order once per installation, and leaves the others alone', async () => {
    const at = new Date().toISOString();
    // Written straight through the store (no outbox effects), as orders were before the outbox.
    const lost = await seedOrder(store, { state: 'dispatched', discoveredAt: at });
    const accepted = await seedOrder(store, { state: 'accepted', discoveredAt: at });
    const pending = await seedOrder(store, { state: 'pending_review', discoveredAt: at });
    const resolved = await seedOrder(store, { state: 'resolved', discoveredAt: at });
    expect(await noticeJob(lost.id)).toBeUndefined();

    // Old orders' notices may have been cleaned up: a run a week on sends them no second time.
    expect(await migrateOrderNotices({ redis, prefix, store, nowMs: Date.now() + 7 * DAY })).toEqual({ checked: 0 });
    await redis.del(`${prefix}:outbox:notices-migrated`);

    expect(await migrateOrderNotices({ redis, prefix, store })).toEqual({ checked: 2 });
    expect(await drainer.drainOnce()).toBe(1);
    expect((await noticeJob(lost.id))?.data).toMatchObject({ orderId: lost.id, kind: 'order', audience: 'team', seq: '1' });
    expect(await noticeJob(accepted.id)).toBeDefined();
    expect(await noticeJob(pending.id)).toBeUndefined();
    expect(await noticeJob(resolved.id)).toBeUndefined();

    // Once done, the next start-up does nothing.
    expect(await migrateOrderNotices({ redis, prefix, store })).toBeNull();
    expect(await drainer.drainOnce()).toBe(0);
    expect(await queues.dispatch.getJobCountByTypes('waiting', 'delayed', 'active', 'completed', 'failed')).toBe(2);
  });

  it('reaches the orders past a page that comes back short (one order cannot be read)', async () => {
    const at = (ageMs: number) => new Date(Date.now() - ageMs).toISOString();
    // Oldest: on the second page, newest first.
    const last = await seedOrder(store, { state: 'dispatched', discoveredAt: at(3_600_000) });
    await Promise.all(Array.from({ length: 200 }, (_, i) => seedOrder(store, { state: 'accepted', discoveredAt: at(60_000 + i) })));
    const broken = await seedOrder(store, { state: 'dispatched', discoveredAt: at(0) });
    await redis.set(`${prefix}:wo:${broken.id}`, 'not json');
    await redis.del(`${prefix}:outbox:notices-migrated`);

    // The two told orders of the test before, the 200, the last; not the unreadable one.
    expect(await migrateOrderNotices({ redis, prefix, store })).toEqual({ checked: 203 });
    expect(await drainer.drainOnce()).toBe(2);
    expect(await noticeJob(last.id)).toBeDefined();
  });
});

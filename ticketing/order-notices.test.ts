import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { seedOrder } from '../center/http/test-store.js';
import { dispatchJobId } from './dispatcher.js';
import { requeueOrderNotices } from './order-notices.js';
import { createQueues } from './queues.js';
import { RedisWorkOrderStore } from './work-order-store.js';

const DAY = 24 * 60 * 60 * 1000;

describe('order notices after a crash', () => {
  const redis = new Redis({ maxRetriesPerRequest: null });
  const prefix = `{swnotice-${randomBytes(4).toString('hex')}}`;
  const store = new RedisWorkOrderStore(redis, prefix);
  const queues = createQueues(redis, prefix);
  afterAll(async () => {
    await queues.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const noticeJob = (orderId: string) => queues.dispatch.getJob(dispatchJobId({ orderId, kind: 'order', audience: 'team', seq: '1' }));

  it('queues the team notice of a dispatched order that has none, once, and leaves the others alone', async () => {
    const at = new Date().toISOString();
    // Confirmed, then the process died before queuing the notice: the state changed, no job.
    const lost = await seedOrder(store, { state: 'dispatched', discoveredAt: at });
    const accepted = await seedOrder(store, { state: 'accepted', discoveredAt: at });
    const pending = await seedOrder(store, { state: 'pending_review', discoveredAt: at });
    const resolved = await seedOrder(store, { state: 'resolved', discoveredAt: at });
    expect(await noticeJob(lost.id)).toBeUndefined();

    expect(await requeueOrderNotices({ store, queues })).toEqual({ checked: 2 });
    expect((await noticeJob(lost.id))?.data).toMatchObject({ orderId: lost.id, kind: 'order', audience: 'team' });
    expect(await noticeJob(accepted.id)).toBeDefined();
    expect(await noticeJob(pending.id)).toBeUndefined();
    expect(await noticeJob(resolved.id)).toBeUndefined();

    // Again: the same job ids, so nothing new is queued.
    await requeueOrderNotices({ store, queues });
    expect(await queues.dispatch.getJobCountByTypes('waiting', 'delayed', 'active', 'completed', 'failed')).toBe(2);

    // A week on, old orders' notices may have been cleaned up: they are not sent a second time.
    expect(await requeueOrderNotices({ store, queues, nowMs: Date.now() + 7 * DAY })).toEqual({ checked: 0 });
  });
});

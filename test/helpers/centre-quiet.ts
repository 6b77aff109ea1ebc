import type { Redis } from 'ioredis';
import { OUTBOX_GROUP } from '../../ticketing/outbox-drainer.js';
import { outboxKey } from '../../ticketing/outbox.js';
import { createQueues } from '../../ticketing/queues.js';
import { waitFor } from './wait.js';

/**
 * Resolves once the centre has nothing left to send: every outbox entry read and acknowledged, and
 * no dispatch job waiting, running or delayed (a retry). After it, a count of deliveries is final,
 * so a test can assert that no stray duplicate follows without sleeping for one.
 */
export async function centreQuiet(redis: Redis, prefix: string, timeoutMs = 20_000): Promise<void> {
  const queues = createQueues(redis, prefix);
  try {
    await waitFor(async () => {
      const jobs = await queues.dispatch.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(jobs).every((n) => n === 0) && (await outboxDrained(redis, prefix));
    }, 'the outbox and the dispatch queue to empty', timeoutMs);
  } finally {
    await queues.close();
  }
}

async function outboxDrained(redis: Redis, prefix: string): Promise<boolean> {
  const key = outboxKey(prefix);
  if (!(await redis.exists(key))) return true;
  const [stream, groups] = await Promise.all([redis.xinfo('STREAM', key), redis.xinfo('GROUPS', key)]);
  const field = (list: unknown[], name: string): unknown => list[list.indexOf(name) + 1];
  const group = (groups as unknown[][]).find((g) => field(g, 'name') === OUTBOX_GROUP);
  if (!group) return Number(field(stream as unknown[], 'length')) === 0;
  return field(group, 'pending') === 0 && field(group, 'last-delivered-id') === field(stream as unknown[], 'last-generated-id');
}

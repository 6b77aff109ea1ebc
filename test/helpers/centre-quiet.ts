import type { Redis } from 'ioredis';
import { OUTBOX_GROUP } from '../../ticketing/outbox-drainer.js';
import { outboxKey } from '../../ticketing/outbox.js';
import { createQueues } from '../../ticketing/queues.js';
import { waitFor } from './wait.js';

/**
 * Resolves once the centre has nothing left to send: every outbox entry read and acknowledged, and
 * no dispatch job waiting, running or delayed (a retry). After it, a count of deliveries is final
 * unless a timer fires later (an SLA timer; a verification timer, unless `verifyTimers`), so a test
 * can assert that no stray duplicate follows without sleeping for one. `verifyTimers`: also no
 * camera-verification timer still to fire (for a test whose window is short).
 */
export async function centreQuiet(redis: Redis, prefix: string, opts: { verifyTimers?: boolean } = {}): Promise<void> {
  const queues = createQueues(redis, prefix);
  const idle = async (q: (typeof queues)['dispatch' | 'verify']) =>
    Object.values(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).every((n) => n === 0);
  // Upstream first (timers write the outbox, the drainer queues dispatch jobs), and quiet on two
  // polls running: an item moving between stages while they are read one by one is seen the second time.
  const quietNow = async () => (!opts.verifyTimers || (await idle(queues.verify))) && (await outboxDrained(redis, prefix)) && (await idle(queues.dispatch));
  let quietBefore = false;
  try {
    await waitFor(
      async () => {
        const quiet = await quietNow();
        const settled = quiet && quietBefore;
        quietBefore = quiet;
        return settled;
      },
      opts.verifyTimers ? 'the outbox, the dispatch queue and the verification timers to empty' : 'the outbox and the dispatch queue to empty',
      20_000,
    );
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

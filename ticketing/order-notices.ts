/**
 * Every dispatched order's team notice is queued. An operator's confirm changes the order's state,
 * then queues the notice; a crash between the two would leave a dispatched order nobody was told
 * about. So the workers re-queue the `order` notice of recent open orders: its job id is fixed
 * per order and finished jobs are kept 7 days, so an order already told about gets nothing new.
 */
import type { RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';
import { enqueueDispatch, KEEP_COMPLETED_SECONDS } from './dispatcher.js';
import { everyIntervalWithLease } from './leased-interval.js';
import type { Queues } from './queues.js';
import type { WorkOrderStore } from './store-types.js';
import type { OrderState } from './work-order.js';

const TOLD_STATES: OrderState[] = ['dispatched', 'accepted', 'on_site'];
const PAGE = 200;
/** Orders dispatched longer ago than this may have had their notice's job removed: not re-queued. */
const LOOK_BACK_MS = (KEEP_COMPLETED_SECONDS - 24 * 3600) * 1000;

export async function requeueOrderNotices(opts: { store: WorkOrderStore; queues: Queues; nowMs?: number }): Promise<{ checked: number }> {
  const since = (opts.nowMs ?? Date.now()) - LOOK_BACK_MS;
  let checked = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await opts.store.list({ state: TOLD_STATES }, { offset, limit: PAGE });
    for (const o of page.items) {
      const dispatchedAt = o.stateTimes.dispatched;
      if (!dispatchedAt || Date.parse(dispatchedAt) < since) continue;
      await enqueueDispatch(opts.queues, { orderId: o.id, kind: 'order', audience: 'team' });
      checked++;
    }
    if (page.items.length < PAGE) break;
  }
  return { checked };
}

/** At start-up and every `intervalMs` (default 5 min), in one worker process per round. */
export function scheduleNoticeCheck(opts: { redis: RedisClient; prefix: string; store: WorkOrderStore; queues: Queues; intervalMs?: number; logger: Logger }): () => void {
  return everyIntervalWithLease({
    redis: opts.redis,
    leaseKey: `${opts.prefix}:notices:check-lease`,
    intervalMs: opts.intervalMs ?? 5 * 60 * 1000,
    run: () => requeueOrderNotices(opts),
    what: 'order notices checked',
    logger: opts.logger,
  });
}

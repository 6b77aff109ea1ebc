/**
 * A one-off at start-up for orders committed before the outbox existed. Then an operator's confirm
 * changed the order's state and queued the notice after it, and a crash in between left a
 * dispatched order nobody was told about (a 5-minute reconciliation re-queued those). Now every
 * commit carries its notices in the outbox, so that reconciliation is gone; this puts the `order`
 * notice of each recent told order into the outbox once per installation. Its job id is fixed per
 * order and finished jobs are kept 7 days, so an order already told about gets nothing new.
 */
import type { RedisClient } from '../common/redis.js';
import { KEEP_COMPLETED_SECONDS } from './dispatcher.js';
import { orderPages } from './order-pages.js';
import { OUTBOX_FIELD, outboxKey, type OutboxEffect } from './outbox.js';
import type { WorkOrderStore } from './store-types.js';
import type { OrderState } from './work-order.js';

const TOLD_STATES: OrderState[] = ['dispatched', 'accepted', 'on_site'];
const PAGE = 200;
/** Orders dispatched longer ago than this may have had their notice's job removed: not re-queued. */
const LOOK_BACK_MS = (KEEP_COMPLETED_SECONDS - 24 * 3600) * 1000;

export const migratedKey = (prefix: string): string => `${prefix}:outbox:notices-migrated`;

/** Returns the orders checked, or null when this installation was migrated already. */
export async function migrateOrderNotices(opts: { redis: RedisClient; prefix: string; store: WorkOrderStore; nowMs?: number }): Promise<{ checked: number } | null> {
  if (await opts.redis.exists(migratedKey(opts.prefix))) return null;
  const since = (opts.nowMs ?? Date.now()) - LOOK_BACK_MS;
  let checked = 0;
  for await (const page of orderPages(opts.store, { state: TOLD_STATES }, PAGE)) {
    const effects: OutboxEffect[] = [];
    for (const o of page) {
      const dispatchedAt = o.stateTimes.dispatched;
      if (!dispatchedAt || Date.parse(dispatchedAt) < since) continue;
      effects.push({ do: 'notice', orderId: o.id, kind: 'order', audience: 'team', team: o.team, seq: '1' });
    }
    if (effects.length) await opts.redis.xadd(outboxKey(opts.prefix), '*', OUTBOX_FIELD, JSON.stringify(effects));
    checked += effects.length;
  }
  // Marked only when done: a process that dies halfway leaves it to the next (fixed ids: no repeats).
  await opts.redis.set(migratedKey(opts.prefix), new Date().toISOString());
  return { checked };
}

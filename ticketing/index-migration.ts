/**
 * A one-off at start-up for orders written before the place index (reports' de-dup by GEOSEARCH)
 * and the reporter index (`reporter=me`) existed: a commit adds an order only to the indexes its
 * change adds, so an older open order would never be found by a report near it. Every order is
 * put into them once per installation (RedisWorkOrderStore.restoreIndexes, idempotent), and the
 * zsets the GEO sets replace are deleted.
 *
 * Every process that files reports or camera orders runs it (ensureOrderIndexes) before it does:
 * the first takes a lock and migrates, the others wait for its marker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.js';
import type { RedisClient } from '../common/redis.js';
import { violationType } from '../contract/index.js';
import { luaScript, runScript } from './lua/script.js';
import { orderPages } from './order-pages.js';
import { nearScope, reportedScope } from './report-orders.js';
import { isOpen, type WorkOrder } from './work-order.js';
import type { RedisWorkOrderStore } from './work-order-store.js';

const PAGE = 200;

/** In one of those indexes: open with a place, or holding a signed-in user's report. */
const indexed = (o: WorkOrder): boolean => (isOpen(o.state) && o.location !== null) || o.reports.some((r) => r.user !== undefined);

export const indexesMigratedKey = (prefix: string): string => `${prefix}:wo-indexes-migrated:place-reporter`;
/** Held (SET NX PX, value: the holder) by the one process migrating; it lapses if that process dies. */
export const indexesLockKey = (prefix: string): string => `${prefix}:wo-indexes-migrating:place-reporter`;

// Only while the lock is still ours: one that lapsed and was taken over is left to its new holder.
const renewLock = luaScript('renew-lock', "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0");
const releaseLock = luaScript('release-lock', "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0");

/** Returns the orders checked, or null when this installation was migrated already. */
export async function migrateOrderIndexes(opts: { redis: RedisClient; prefix: string; store: Pick<RedisWorkOrderStore, 'list' | 'restoreIndexes'> }): Promise<{ checked: number } | null> {
  if (await opts.redis.exists(indexesMigratedKey(opts.prefix))) return null;
  let checked = 0;
  // Newest first by offset: an order opened meanwhile shifts the pages (one seen twice, none missed), and indexes itself.
  for await (const page of orderPages(opts.store, {}, PAGE)) {
    const todo = page.filter(indexed);
    for (const o of todo) await opts.store.restoreIndexes(o.id);
    checked += todo.length;
  }
  const replaced = violationType.options.flatMap((t) => [nearScope(t), reportedScope(t)]).map((scope) => `${opts.prefix}:wo-open:${scope}`);
  await opts.redis.del(...replaced);
  // Marked only when done: a process that dies halfway leaves it to the next (idempotent).
  await opts.redis.set(indexesMigratedKey(opts.prefix), new Date().toISOString());
  return { checked };
}

type MigrationOptions = Parameters<typeof migrateOrderIndexes>[0];

export interface EnsureIndexesOptions extends MigrationOptions {
  logger: Logger;
  /** Names this process in the lock (and in the others' waiting log line); unique per process. */
  holder: string;
  /** The lock's expiry, renewed every third of it while the migration runs: how long a dead migrator holds the others up. */
  lockMs?: number;
  /** How often a waiting process looks for the marker or a lapsed lock. */
  pollMs?: number;
}

/**
 * Returns once the installation is migrated: migrated here (the orders checked), or by another
 * process (null). One process migrates at a time; a process that dies halfway leaves the lock to
 * lapse and the migration (idempotent) to the next.
 */
export async function ensureOrderIndexes(o: EnsureIndexesOptions): Promise<{ checked: number } | null> {
  const lockMs = o.lockMs ?? 30_000;
  const lock = indexesLockKey(o.prefix);
  let waiting = false;
  while (!(await o.redis.exists(indexesMigratedKey(o.prefix)))) {
    if ((await o.redis.set(lock, o.holder, 'PX', lockMs, 'NX')) === 'OK') return migrateHolding(o, lock, lockMs);
    if (!waiting) o.logger.info({ holder: await o.redis.get(lock) }, 'waiting for another process to put older orders into the place and reporter indexes: no reports nor detections taken here until then');
    waiting = true;
    await sleep(o.pollMs ?? 1000);
  }
  return null;
}

async function migrateHolding(o: EnsureIndexesOptions, lock: string, lockMs: number): Promise<{ checked: number } | null> {
  o.logger.info('putting older orders into the place and reporter indexes (once per installation): no reports nor detections taken here until then');
  const renew = async () => {
    // Lost (this process stalled past the expiry): another may migrate beside it, harmless as it is idempotent.
    if ((await runScript(o.redis, renewLock, [lock], [o.holder, lockMs])) === 0) o.logger.warn('order index migration: lost its lock to another process');
  };
  const renewal = setInterval(() => void renew().catch((err: Error) => o.logger.warn({ err: err.message }, 'order index migration: lock not renewed')), lockMs / 3);
  try {
    return await migrateOrderIndexes(o);
  } finally {
    clearInterval(renewal);
    await runScript(o.redis, releaseLock, [lock], [o.holder]);
  }
}

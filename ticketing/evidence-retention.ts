/**
 * Evidence retention: photos are personal data (faces are blurred, plates are not) and a legal
 * record, so they are kept while their work order is open and for `retentionDays` after it
 * closed, then deleted. Photos no order refers to (a rejected detection's, a dead-lettered one's)
 * go `retentionDays` after they arrived. The order itself stays, with its evidence refs; the API
 * then answers 404 for a deleted photo.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';
import type { EvidenceStore } from './evidence-store.js';
import { everyIntervalWithLease } from './leased-interval.js';
import { orderPages } from './order-pages.js';
import type { WorkOrderStore } from './store-types.js';
import { isOpen, type WorkOrder } from './work-order.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 200;

/** Pure: the photos that must stay — those of open orders and of orders closed after `cutoffMs`. */
export function photosToKeep(orders: Iterable<Pick<WorkOrder, 'state' | 'updatedAt' | 'evidence'>>, cutoffMs: number): Set<string> {
  const keep = new Set<string>();
  for (const o of orders) {
    if (!isOpen(o.state) && Date.parse(o.updatedAt) < cutoffMs) continue;
    for (const e of o.evidence) keep.add(e.sha256);
  }
  return keep;
}

export interface PruneResult {
  examined: number;
  deleted: number;
  kept: number;
}

/** Deletes the photos older than the retention that no open or recently closed order needs. */
export async function pruneEvidence(opts: { store: WorkOrderStore; evidence: EvidenceStore; retentionDays: number; nowMs?: number }): Promise<PruneResult> {
  const cutoffMs = (opts.nowMs ?? Date.now()) - opts.retentionDays * DAY_MS;
  const orders: WorkOrder[] = [];
  for await (const page of orderPages(opts.store, {}, PAGE)) orders.push(...page);
  const keep = photosToKeep(orders, cutoffMs);
  const result: PruneResult = { examined: 0, deleted: 0, kept: 0 };
  for (const dir of await readdir(opts.evidence.root).catch(() => [] as string[])) {
    for (const name of await readdir(join(opts.evidence.root, dir)).catch(() => [] as string[])) {
      const sha = name.endsWith('.jpg') ? name.slice(0, -4) : null;
      if (!sha) continue; // a temp file of a write in progress
      result.examined++;
      const file = opts.evidence.path(sha);
      // mtime is when the photo arrived: a file is written once and never changed.
      if (keep.has(sha) || (await stat(file)).mtimeMs >= cutoffMs) {
        result.kept++;
        continue;
      }
      await unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err; // another process pruned it first
      });
      result.deleted++;
    }
  }
  return result;
}

/** Prunes every `intervalMs` (default 6 h) in one of the centre's worker processes. Returns a stop function. */
export function schedulePruning(opts: {
  redis: RedisClient;
  prefix: string;
  store: WorkOrderStore;
  evidence: EvidenceStore;
  retentionDays: number;
  intervalMs?: number;
  logger: Logger;
}): () => void {
  return everyIntervalWithLease({
    redis: opts.redis,
    leaseKey: `${opts.prefix}:evidence:prune-lease`,
    intervalMs: opts.intervalMs ?? 6 * 60 * 60 * 1000,
    run: async () => ({ ...(await pruneEvidence(opts)), retentionDays: opts.retentionDays }),
    what: 'evidence pruned',
    logger: opts.logger,
  });
}

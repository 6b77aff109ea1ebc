import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.js';
import { redisStore, seedOrder } from '../center/http/test-store.js';
import { EvidenceStore } from './evidence-store.js';
import { photosToKeep, pruneEvidence, schedulePruning } from './evidence-retention.js';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { waitFor } from '../test/helpers/wait.js';
import type { RedisWorkOrderStore } from './work-order-store.js';

const DAY = 24 * 60 * 60 * 1000;

describe('evidence retention', () => {
  let rig: ReturnType<typeof redisStore>;
  let store: RedisWorkOrderStore;
  let evidence: EvidenceStore;
  beforeEach(() => {
    rig = redisStore();
    store = rig.store;
    evidence = new EvidenceStore(tempDir('sw-retention-'));
  });
  afterEach(() => rig.close());

  /** A real photo file whose arrival time (mtime) is `atMs`. */
  async function photo(name: string, atMs: number): Promise<string> {
    const sha = await evidence.put(Buffer.from(`jpeg bytes of ${name}`));
    utimesSync(evidence.path(sha), atMs / 1000, atMs / 1000);
    return sha;
  }

  it('keeps photos of open and recently closed orders and new unreferenced ones; deletes the rest', async () => {
    const now = Date.now();
    const at = new Date(now - 2 * DAY).toISOString();
    const [open, closed, shared, stray, fresh] = await Promise.all(['open', 'closed', 'shared', 'stray', 'fresh'].map((n) => photo(n, n === 'fresh' ? now + 9 * DAY : now - 2 * DAY)));
    await seedOrder(store, { state: 'accepted', discoveredAt: at, evidence: [{ sha256: open, kind: 'full' }, { sha256: shared, kind: 'crop' }] });
    await seedOrder(store, { state: 'resolved', discoveredAt: at, evidence: [{ sha256: closed, kind: 'full' }, { sha256: shared, kind: 'crop' }] });
    writeFileSync(`${evidence.path(open)}.123.abc.tmp`, 'a write in progress');

    // Closed just now: within 7 days nothing goes but what no order has and arrived before the cutoff.
    expect(await pruneEvidence({ store, evidence, retentionDays: 7, nowMs: now })).toEqual({ examined: 5, deleted: 0, kept: 5 });

    // Ten days on: the resolved order's own photo and the stray one are past the retention.
    const r = await pruneEvidence({ store, evidence, retentionDays: 7, nowMs: now + 10 * DAY });
    expect(r).toEqual({ examined: 5, deleted: 2, kept: 3 });
    expect([open, closed, shared, stray, fresh].map((s) => existsSync(evidence.path(s)))).toEqual([true, false, true, false, true]);
    expect(await evidence.has(open)).toBe(true);
  });

  it('keeps the photos of every open order when one order cannot be read (its page comes back short)', async () => {
    const now = Date.now();
    const old = await photo('old open order', now - 30 * DAY);
    // Oldest: on the second page, newest first.
    await seedOrder(store, { state: 'accepted', discoveredAt: new Date(now - 30 * DAY).toISOString(), evidence: [{ sha256: old, kind: 'full' }] });
    await Promise.all(Array.from({ length: 200 }, (_, i) => seedOrder(store, { state: 'accepted', discoveredAt: new Date(now - 20 * DAY + i * 1000).toISOString() })));
    const broken = await seedOrder(store, { state: 'accepted', discoveredAt: new Date(now).toISOString() });
    await rig.redis.set(`${rig.prefix}:wo:${broken.id}`, 'not json');

    expect(await pruneEvidence({ store, evidence, retentionDays: 7, nowMs: now })).toEqual({ examined: 1, deleted: 0, kept: 1 });
    expect(await evidence.has(old)).toBe(true);
  });

  it('photosToKeep: open orders always, closed ones until the cutoff', () => {
    const ev = (sha256: string) => [{ sha256, evidenceId: 'x', capturedAt: '2026-11-01T00:00:00.000Z', contentType: 'image/jpeg' as const, bytes: 1, kind: 'full' as const }];
    const keep = photosToKeep([
      { state: 'dispatched', updatedAt: '2026-01-01T00:00:00.000Z', evidence: ev('a') },
      { state: 'resolved', updatedAt: '2026-11-20T00:00:00.000Z', evidence: ev('b') },
      { state: 'rejected', updatedAt: '2026-11-01T00:00:00.000Z', evidence: ev('c') },
    ], Date.parse('2026-11-10T00:00:00.000Z'));
    expect([...keep].sort()).toEqual(['a', 'b']);
  });

  it('prunes in one process per interval: the others see the lease and skip', async () => {
    const redis = new Redis();
    const prefix = `{swprune-${randomBytes(4).toString('hex')}}`;
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, done) => { lines.push(String(c)); done(); } }));
    await photo('stray', Date.now() - 30 * DAY);
    const stops = [1, 2, 3].map(() => schedulePruning({ redis, prefix, store, evidence, retentionDays: 7, intervalMs: 60_000, logger }));
    try {
      await waitFor(() => lines.some((l) => l.includes('evidence pruned')), 'a pruning round');
      await new Promise((r) => setTimeout(r, 300));
      const rounds = lines.filter((l) => l.includes('evidence pruned')).map((l) => JSON.parse(l) as { deleted: number });
      expect(rounds).toHaveLength(1);
      expect(rounds[0].deleted).toBe(1);
    } finally {
      stops.forEach((stop) => stop());
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });
});

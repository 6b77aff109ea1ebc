/**
 * The outbox on real Redis and BullMQ: the commit writes the order and its effects together or
 * neither; the drainer turns entries into exactly the expected jobs, once, however many drain.
 */
import type { Job, JobType } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, REDIS_URL, testNamespace, waitFor } from '../center/ingest/test-fixtures.js';
import type { DispatchJobData } from './dispatcher.js';
import { commitScript } from './lua/commit.js';
import { runScript } from './lua/script.js';
import { transitionEffects } from './order-effects.js';
import { OUTBOX_FIELD, outboxEntrySchema, outboxKey, type OutboxEffect } from './outbox.js';
import { OUTBOX_GROUP, OutboxDrainer, planDrain } from './outbox-drainer.js';
import { createQueues, type Queues } from './queues.js';
import { slaJobId } from './sla-timers.js';
import { openTestOrder } from './test-orders.js';
import { RedisWorkOrderStore } from './work-order-store.js';
import type { WorkOrder } from './work-order.js';

const silent = pino({ level: 'silent' });
const ALL_STATES: JobType[] = ['wait', 'delayed', 'prioritized', 'active', 'completed', 'failed'];
const MIN = 60_000;

let ns: ReturnType<typeof testNamespace>;
let redis: Redis;
let queues: Queues;
let store: RedisWorkOrderStore;
const drainers: OutboxDrainer[] = [];

const drainer = (consumer: string, claimIdleMs?: number): OutboxDrainer => {
  const d = new OutboxDrainer({ redis, prefix: ns.prefix, queues, consumer, logger: silent, ...(claimIdleMs !== undefined ? { claimIdleMs } : {}) });
  drainers.push(d);
  return d;
};

/** Each entry's effects, oldest first. */
async function outbox(): Promise<OutboxEffect[][]> {
  const entries = await redis.xrange(outboxKey(ns.prefix), '-', '+');
  return entries.map(([, fields]) => outboxEntrySchema.parse(JSON.parse(fields[fields.indexOf(OUTBOX_FIELD) + 1]!)));
}

async function dispatchJobIds(): Promise<string[]> {
  const jobs = (await queues.dispatch.getJobs(ALL_STATES)) as Job<DispatchJobData>[];
  return [...new Set(jobs.map((j) => String(j.id)))].sort();
}

const notice = (orderId: string, kind: 'order' | 'stand_down' = 'order', note?: string): OutboxEffect => ({
  do: 'notice', orderId, kind, audience: 'team', team: 'team-north', seq: '1', ...(note ? { note } : {}),
});
const timersOf = (o: WorkOrder): OutboxEffect => ({ do: 'sla', orderId: o.id, yellowAtMs: Date.parse(o.discoveredAt) + 20 * MIN, redAtMs: Date.parse(o.discoveredAt) + 40 * MIN });

beforeAll(() => {
  ns = testNamespace();
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(redis, ns.prefix);
  store = new RedisWorkOrderStore(redis, ns.prefix);
});

afterEach(async () => {
  for (const d of drainers.splice(0)) await d.close();
  await Promise.all([queues.dispatch.obliterate({ force: true }), queues.sla.obliterate({ force: true })]);
  await deleteKeys(redis, ns.prefix);
});

afterAll(async () => {
  await queues.close();
  await deleteKeys(redis, ns.prefix);
  redis.disconnect();
});

describe('the commit writes the outbox', () => {
  it('with the order, in the same script: one entry per commit holding exactly its effects', async () => {
    const order = await openTestOrder(store, { confirmed: true });
    expect(await outbox()).toEqual([]); // a commit without effects writes no entry
    const moved = await store.transition(order.id, 'cancelled', 'sup', { note: 'duplicate', outbox: transitionEffects('duplicate') });
    expect(moved.state).toBe('cancelled');
    expect(await outbox()).toEqual([[{ do: 'sla-cancel', orderId: order.id }, notice(order.id, 'stand_down', 'duplicate')]]);
  });

  it('a commit that fails in the script writes nothing: no order without its effects', async () => {
    const order = await openTestOrder(store, { confirmed: true });
    const before = await redis.get(`${ns.prefix}:wo:${order.id}`);
    // The outbox key holds a string, so XADD fails inside the script.
    await redis.set(outboxKey(ns.prefix), 'not a stream');
    await expect(store.transition(order.id, 'cancelled', 'sup', { outbox: transitionEffects() })).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.get(`${ns.prefix}:wo:${order.id}`)).toBe(before);
    expect(await redis.zrange(`${ns.prefix}:wo-idx:state:cancelled`, '0', '-1')).toEqual([]);
    expect(await redis.zrange(`${ns.prefix}:wo-idx:state:dispatched`, '0', '-1')).toEqual([order.id]);

    // An op the script does not know, after a write: refused before anything is written.
    await redis.del(outboxKey(ns.prefix));
    const key = `${ns.prefix}:wo:01JD0000000000000000000000`;
    await expect(runScript(redis, commitScript, [key, outboxKey(ns.prefix)], [0, 'xadd', 2, OUTBOX_FIELD, '[]', 'set', 1, '{}', '', 'bogus', 1, '', ''])).rejects.toThrow(
      /unknown op bogus/,
    );
    expect(await redis.exists(key, outboxKey(ns.prefix))).toBe(0);
  });

  it('effects are decided on the order the commit replaces: a lost race decides again', async () => {
    const order = await openTestOrder(store, { confirmed: false });
    const other = new RedisWorkOrderStore(redis, ns.prefix);
    const seen: (string | null)[] = [];
    // Two operators at once: one confirms, one rejects; exactly one commit lands with its effects.
    const results = await Promise.allSettled([
      store.transition(order.id, 'dispatched', 'op1', { expectFrom: 'pending_review', outbox: (p, n) => (seen.push(p?.state ?? null), transitionEffects()(p, n)) }),
      other.transition(order.id, 'rejected', 'op2', { expectFrom: 'pending_review', outbox: transitionEffects() }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const state = (await store.get(order.id))!.state;
    expect(await outbox()).toEqual(state === 'dispatched' ? [[notice(order.id)]] : [[{ do: 'sla-cancel', orderId: order.id }]]);
  });
});

describe('the drainer', () => {
  it('turns entries into exactly the expected jobs, then acknowledges and deletes them', async () => {
    const a = await openTestOrder(store, { confirmed: true });
    const b = await openTestOrder(store, { confirmed: true });
    // Discovered an hour ago: red is past, so only red is scheduled, and at once.
    const late = await openTestOrder(store, { confirmed: true, discoveredAtMs: Date.now() - 60 * MIN });
    const key = outboxKey(ns.prefix);
    await redis.xadd(key, '*', OUTBOX_FIELD, JSON.stringify([timersOf(a), notice(a.id)]));
    await redis.xadd(key, '*', OUTBOX_FIELD, JSON.stringify([timersOf(b), notice(b.id)]));
    await redis.xadd(key, '*', OUTBOX_FIELD, JSON.stringify([timersOf(late)]));
    await redis.xadd(key, '*', OUTBOX_FIELD, JSON.stringify([{ do: 'sla-cancel', orderId: b.id }, notice(b.id, 'stand_down', 'gone')]));
    await redis.xadd(key, '*', OUTBOX_FIELD, '{"not":"effects"}');

    expect(await drainer('one').drainOnce()).toBe(5);
    expect(await dispatchJobIds()).toEqual([`${a.id}-team-order-1`, `${b.id}-team-order-1`, `${b.id}-team-stand_down-1`].sort());
    const standDown = await queues.dispatch.getJob(`${b.id}-team-stand_down-1`);
    expect(standDown!.data).toEqual({ orderId: b.id, kind: 'stand_down', audience: 'team', team: 'team-north', seq: '1', note: 'gone' });
    expect(await queues.sla.getJobState(slaJobId(a.id, 'yellow'))).toBe('delayed');
    const red = (await queues.sla.getJob(slaJobId(a.id, 'red')))!;
    expect(red.opts.delay).toBeGreaterThan(39 * MIN);
    expect(red.opts.delay).toBeLessThanOrEqual(40 * MIN);
    // b closed in the same batch: its timers are gone.
    expect(await queues.sla.getJob(slaJobId(b.id, 'yellow'))).toBeUndefined();
    expect(await queues.sla.getJob(slaJobId(b.id, 'red'))).toBeUndefined();
    expect(await queues.sla.getJob(slaJobId(late.id, 'yellow'))).toBeUndefined();
    expect((await queues.sla.getJob(slaJobId(late.id, 'red')))!.opts.delay).toBe(0);
    // All acknowledged and deleted, the unreadable entry included (dropped, not retried forever).
    expect(await redis.xlen(key)).toBe(0);
    expect(await redis.xpending(key, OUTBOX_GROUP)).toEqual([0, null, null, null]);
  });

  it('drains a fresh commit within milliseconds while running', async () => {
    drainer('live').start();
    await waitFor(async () => (await redis.exists(outboxKey(ns.prefix))) === 1, 'the group to be created', 5000);
    const order = await openTestOrder(store, { confirmed: true });
    const t0 = Date.now();
    await store.transition(order.id, 'cancelled', 'sup', { outbox: transitionEffects('x') });
    await waitFor(async () => (await queues.dispatch.getJob(`${order.id}-team-stand_down-1`)) !== undefined, 'the stand-down job', 5000);
    // Far below the 1 s block: the read returned as the entry arrived.
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('two drainers racing, one taking over the other\'s entries at once: every job exactly once', async () => {
    const orders = await Promise.all(Array.from({ length: 60 }, () => openTestOrder(store, { confirmed: true })));
    for (const o of orders) await redis.xadd(outboxKey(ns.prefix), '*', OUTBOX_FIELD, JSON.stringify([timersOf(o), notice(o.id)]));
    // A takes a batch and is slow to queue it; B claims A's entries (idle ≥ 0 ms) and queues them too.
    let release!: () => void;
    const slow = new OutboxDrainer({
      redis, prefix: ns.prefix, queues, consumer: 'slow', logger: silent, batch: 20,
      beforeEnqueue: () => new Promise<void>((r) => (release = r)),
    });
    drainers.push(slow);
    const aRound = slow.drainOnce();
    await waitFor(() => release, 'A to take a batch', 5000);
    const claimer = drainer('claimer', 0);
    expect(await claimer.drainOnce()).toBe(60);
    release();
    await aRound.catch(() => undefined);
    await slow.drainOnce();
    await claimer.drainOnce();

    const ids = await dispatchJobIds();
    expect(ids).toHaveLength(60);
    expect(ids).toEqual(orders.map((o) => `${o.id}-team-order-1`).sort());
    expect(await queues.sla.getJobCountByTypes('delayed')).toBe(120);
    expect(await redis.xlen(outboxKey(ns.prefix))).toBe(0);
  });
});

describe('planDrain', () => {
  it('groups effects for bulk adds and names entries it cannot read', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const plan = planDrain(
      [
        ['1-0', [OUTBOX_FIELD, JSON.stringify([{ do: 'sla', orderId: 'o1', yellowAtMs: now - 1, redAtMs: now + 5000 }, notice('o1')])]],
        ['2-0', [OUTBOX_FIELD, JSON.stringify([{ do: 'notice', orderId: 'o2', kind: 'order', audience: 'team' }])]],
        ['3-0', ['other', 'x']],
      ],
      now,
    );
    expect(plan.timers.map((t) => [t.opts.jobId, t.opts.delay])).toEqual([['o1-yellow', 0], ['o1-red', 5000]]);
    expect(plan.notices.map((n) => n.opts.jobId)).toEqual(['o1-team-order-1']);
    expect(plan.unreadable.map((u) => u.id)).toEqual(['2-0', '3-0']);
    expect(plan.unreadable[0].reason).toMatch(/seq/);
  });

  it('a camera-verification wait becomes one delayed job at its window\'s end, named after its step', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const plan = planDrain([['1-0', [OUTBOX_FIELD, JSON.stringify([{ do: 'verify', orderId: 'o1', until: '2026-01-01T00:20:00.000Z', seq: '5' }])]]], now);
    expect(plan.verifies.map((v) => [v.opts.jobId, v.opts.delay, v.data])).toEqual([['o1-verify-5', 600_000, { orderId: 'o1', until: '2026-01-01T00:20:00.000Z' }]]);
  });
});

/** RedisWorkOrderStore against the real Redis on 127.0.0.1:6379; every key under a random prefix, removed afterwards. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { ulid } from 'ulid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DetectionMessage, EvidenceRef, NormBox } from '../contract/index.js';
import type { OpenOrderInput } from './store-types.js';
import { IllegalTransitionError, type WorkOrder } from './work-order.js';
import { OrderNotFoundError, RedisWorkOrderStore, StaleStateError } from './work-order-store.js';
import { outboxKey } from './outbox.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const RUN = `swtest-${randomBytes(4).toString('hex')}`;
const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const BOX: NormBox = { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 };
const H = 3_600_000;

let redis: Redis;
let other: Redis;
let store: RedisWorkOrderStore;
let prefix: string;
let n = 0;
let clock = T0 + 60_000;

function evidence(): EvidenceRef {
  return { evidenceId: ulid(), sha256: 'b'.repeat(64), capturedAt: iso(T0), contentType: 'image/jpeg', bytes: 1234, kind: 'full' };
}

function det(over: Partial<DetectionMessage> = {}): DetectionMessage {
  return {
    v: 1, eventId: ulid(), seq: 0, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking', state: 'started',
    label: 'car', confidence: 0.7, bbox: BOX, firstSeenAt: iso(T0), discoveredAt: iso(T0), sentAt: iso(T0), evidence: [evidence()], ...over,
  };
}

function input(d: DetectionMessage, over: Partial<OpenOrderInput> = {}): OpenOrderInput {
  return {
    detection: d, team: 'north', assignee: null, location: { lat: 52, long: 4 }, confirmed: true,
    deadlineAt: iso(Date.parse(d.discoveredAt) + 40 * 60_000), dedupeIou: 0.5, plateWindowMs: 2 * H, nowIso: iso(clock), ...over,
  };
}

async function keysOf(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  other = new Redis(REDIS_URL);
});

beforeEach(() => {
  // A prefix per test: each test sees an empty store.
  prefix = `{${RUN}-${++n}}`;
  store = new RedisWorkOrderStore(redis, prefix, { now: () => clock });
});

afterAll(async () => {
  const keys = await keysOf(redis, `{${RUN}-*`);
  if (keys.length) await redis.del(...keys);
  expect(await keysOf(redis, `{${RUN}-*`)).toEqual([]);
  redis.disconnect();
  other.disconnect();
});

describe('openOrMerge', () => {
  it('creates an order, then merges an overlapping detection (IoU) into it', async () => {
    const first = det();
    const a = await store.openOrMerge(input(first, { assignee: 'o1' }));
    expect(a.created).toBe(true);
    expect(a.order).toMatchObject({ state: 'dispatched', team: 'north', assignee: 'o1', eventIds: [first.eventId], sla: 'green' });
    expect(a.order.audit).toEqual([{ at: iso(clock), by: 'system', from: null, to: 'dispatched', note: 'confirmed' }]);
    expect(a.order.stateTimes).toEqual({ dispatched: iso(clock) });

    const second = det({ bbox: { x1: 0.12, y1: 0.1, x2: 0.32, y2: 0.31 }, confidence: 0.9, label: 'van' });
    const b = await store.openOrMerge(input(second));
    expect(b.created).toBe(false);
    expect(b.order.id).toBe(a.order.id);
    expect(b.order).toMatchObject({ eventIds: [first.eventId, second.eventId], confidence: 0.9, label: 'van', bbox: second.bbox, assignee: 'o1' });
    expect(b.order.evidence.map((e) => e.evidenceId)).toEqual([...first.evidence, ...second.evidence].map((e) => e.evidenceId));
    expect(await store.get(a.order.id)).toEqual(b.order);
    expect(await store.findByEvent(second.eventId)).toEqual(b.order);
  });

  it('merges by eventId though the box moved away, and ignores a redelivered copy', async () => {
    const d = det();
    const a = await store.openOrMerge(input(d));
    const moved = { ...d, seq: 1, state: 'updated' as const, bbox: { x1: 0.6, y1: 0.6, x2: 0.8, y2: 0.8 }, evidence: [evidence()] };
    const b = await store.openOrMerge(input(moved));
    expect(b).toMatchObject({ created: false, order: { id: a.order.id, bbox: moved.bbox, eventIds: [d.eventId] } });
    expect(b.order.evidence).toHaveLength(2);
    const again = await store.openOrMerge(input(moved, { nowIso: iso(clock + 5000) }));
    expect(again.order).toEqual(b.order);
  });

  it('merges a box at exactly the IoU threshold (≥, as documented), not under a threshold just above it', async () => {
    // Dyadic coordinates: each IoU is exactly 0.5 in floating point; the last threshold is just above it.
    const a = await store.openOrMerge(input(det({ bbox: { x1: 0, y1: 0, x2: 0.5, y2: 0.25 } })));
    const at = await store.openOrMerge(input(det({ bbox: { x1: 0, y1: 0, x2: 0.25, y2: 0.25 } })));
    expect(at).toMatchObject({ created: false, order: { id: a.order.id } });
    const above = await store.openOrMerge(input(det({ bbox: { x1: 0, y1: 0, x2: 0.5, y2: 0.125 } }), { dedupeIou: 0.5 + 2 ** -10 }));
    expect(above.created).toBe(true);
  });

  it('apply commits a pure change decided on the fresh order, with its side effects; null writes nothing', async () => {
    const { order } = await store.openOrMerge(input(det()));
    const noted = await store.apply(order.id, (o) => ({ ...o, label: 'van', updatedAt: iso(clock + 1) }), {
      outbox: (prev, next) => [{ do: 'notice', orderId: next.id, kind: 'update', audience: 'team', seq: `${prev?.label}-${next.label}` }],
    });
    expect(await store.get(order.id)).toEqual(noted);
    expect(noted.label).toBe('van');
    const entries = await redis.xrange(outboxKey(prefix), '-', '+');
    expect(entries.map(([, f]) => JSON.parse(f[1]!)[0].seq)).toContain('car-van');
    expect(await store.apply(order.id, () => null)).toEqual(noted);
  });

  it('setEdgeEnded settles in the same commit: the follow-up sees the end recorded', async () => {
    const { order } = await store.openOrMerge(input(det()));
    const ended = { reason: 'camera_lost' as const, at: iso(clock) };
    const seen: (WorkOrder['edgeEnded'])[] = [];
    const after = await store.setEdgeEnded(order.id, ended, { settle: (o) => (seen.push(o.edgeEnded), { ...o, label: 'settled' }) });
    expect(seen.at(-1)).toEqual(ended);
    expect(await store.get(order.id)).toMatchObject({ edgeEnded: ended, label: 'settled' });
    expect(after.label).toBe('settled');
  });

  it('opens a second order for a box that does not overlap, or another zone', async () => {
    const a = await store.openOrMerge(input(det()));
    const b = await store.openOrMerge(input(det({ bbox: { x1: 0.5, y1: 0.5, x2: 0.7, y2: 0.7 } })));
    const c = await store.openOrMerge(input(det({ zoneId: 'bus-stop' })));
    expect([a.created, b.created, c.created]).toEqual([true, true, true]);
    expect(new Set([a.order.id, b.order.id, c.order.id]).size).toBe(3);
    expect((await store.list({}, { offset: 0, limit: 10 })).total).toBe(3);
  });

  it('opens a new order once the old one is closed; a late message of the closed event reopens nothing', async () => {
    const d = det();
    const a = await store.openOrMerge(input(d, { confirmed: false }));
    expect(a.order.state).toBe('pending_review');
    await store.transition(a.order.id, 'rejected', 'op1', { rejection: { reason: 'not_a_violation' } });
    const late = await store.openOrMerge(input({ ...d, seq: 1, state: 'updated', evidence: [evidence()] }));
    expect(late).toMatchObject({ created: false, order: { id: a.order.id, state: 'rejected' } });
    expect(late.order.evidence).toHaveLength(1);
    expect(await store.findByEvent(d.eventId)).toBeNull();
    // Whatever its state, for the camera's check of a resolved order.
    expect(await store.orderOfEvent(d.eventId)).toEqual(late.order);
    expect(await store.orderOfEvent('no-such-event')).toBeNull();

    const fresh = await store.openOrMerge(input(det()));
    expect(fresh.created).toBe(true);
    expect(fresh.order.id).not.toBe(a.order.id);
  });

  it('merges the same plate within the window though the box moved (issue 4), not after it', async () => {
    const plate = (at: number) => ({ text: 'AB-123-C', confidence: 0.8, readAt: iso(at) });
    const a = await store.openOrMerge(input(det({ plate: plate(T0) })));
    const far = { x1: 0.6, y1: 0.6, x2: 0.8, y2: 0.8 };
    const within = det({ bbox: far, discoveredAt: iso(T0 + 90 * 60_000), plate: { ...plate(T0 + 90 * 60_000), text: 'ab 123 c' } });
    const b = await store.openOrMerge(input(within));
    expect(b).toMatchObject({ created: false, order: { id: a.order.id } });
    expect(b.order.eventIds).toHaveLength(2);
    const after = det({ bbox: { x1: 0.0, y1: 0.8, x2: 0.1, y2: 0.9 }, discoveredAt: iso(T0 + 3 * H), plate: plate(T0 + 3 * H) });
    expect((await store.openOrMerge(input(after))).created).toBe(true);
    expect(await store.countByPlate('AB123C')).toBe(2);
    expect((await store.list({ plate: 'ab-123-c' }, { offset: 0, limit: 10 })).total).toBe(2);
  });

  it('makes exactly one order from 50 concurrent copies of one detection, holding all evidence', async () => {
    const d = det({ evidence: [] });
    const copies = Array.from({ length: 50 }, (_, i) => ({ ...d, seq: i, state: i === 0 ? ('started' as const) : ('updated' as const), evidence: [evidence()] }));
    const results = await Promise.all(copies.map((c) => store.openOrMerge(input(c))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const { items, total } = await store.list({}, { offset: 0, limit: 100 });
    expect(total).toBe(1);
    expect(items[0].eventIds).toEqual([d.eventId]);
    expect(new Set(items[0].evidence.map((e) => e.evidenceId))).toEqual(new Set(copies.map((c) => c.evidence[0].evidenceId)));
  });

  it('makes exactly one order from identical copies and overlapping boxes raced over two connections', async () => {
    const storeB = new RedisWorkOrderStore(other, prefix, { now: () => clock });
    const same = det();
    // Identical redeliveries (same eventId, same evidence) and other events whose boxes overlap it.
    const overlapping = Array.from({ length: 10 }, (_, i) => det({ bbox: { x1: 0.1 + i * 0.002, y1: 0.1, x2: 0.3 + i * 0.002, y2: 0.3 } }));
    const calls = Array.from({ length: 40 }, (_, i) => (i % 2 ? store : storeB).openOrMerge(input(same)));
    calls.push(...overlapping.map((d, i) => (i % 2 ? storeB : store).openOrMerge(input(d))));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const { items, total } = await store.list({}, { offset: 0, limit: 100 });
    expect(total).toBe(1);
    expect(new Set(items[0].eventIds)).toEqual(new Set([same.eventId, ...overlapping.map((d) => d.eventId)]));
    expect(items[0].evidence).toHaveLength(11);
    expect(await store.findByEvent(same.eventId)).toEqual(items[0]);
  });

  it('keeps orders when every client restarts', async () => {
    const a = await store.openOrMerge(input(det()));
    const fresh = new Redis(REDIS_URL);
    try {
      const again = new RedisWorkOrderStore(fresh, prefix);
      expect(await again.get(a.order.id)).toEqual(a.order);
      expect((await again.openOrMerge(input(det()))).order.id).toBe(a.order.id);
    } finally {
      fresh.disconnect();
    }
  });
});

describe('transition', () => {
  it('applies legal moves with audit, state times and indexes; refuses illegal ones', async () => {
    const { order } = await store.openOrMerge(input(det(), { assignee: 'o1' }));
    clock += 60_000;
    const accepted = await store.transition(order.id, 'accepted', 'o1');
    expect(accepted).toMatchObject({ state: 'accepted', stateTimes: { dispatched: iso(clock - 60_000), accepted: iso(clock) }, updatedAt: iso(clock) });
    expect(accepted.audit.at(-1)).toEqual({ at: iso(clock), by: 'o1', from: 'dispatched', to: 'accepted' });
    expect(await store.openCountByAssignee('north')).toEqual(new Map([['o1', 1]]));

    await expect(store.transition(order.id, 'resolved', 'o1')).rejects.toBeInstanceOf(IllegalTransitionError);
    await store.transition(order.id, 'on_site', 'o1');
    const done = await store.transition(order.id, 'resolved', 'o1', { note: 'ticket 42' });
    expect(done.audit.at(-1)).toMatchObject({ from: 'on_site', to: 'resolved', note: 'ticket 42' });
    await expect(store.transition(order.id, 'cancelled', 'sup')).rejects.toThrow(/cannot go from resolved to cancelled/);
    expect(await store.get(order.id)).toEqual(done);

    expect(await store.openCountByAssignee('north')).toEqual(new Map([['o1', 0]]));
    expect((await store.list({ state: ['resolved'] }, { offset: 0, limit: 10 })).items.map((o) => o.id)).toEqual([order.id]);
    expect((await store.list({ state: ['dispatched', 'accepted', 'on_site'] }, { offset: 0, limit: 10 })).total).toBe(0);
    await expect(store.transition('01JD0000000000000000000000', 'accepted', 'x')).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('refuses a stale expectFrom with StaleStateError', async () => {
    const { order } = await store.openOrMerge(input(det(), { confirmed: false }));
    await store.transition(order.id, 'dispatched', 'op1', { expectFrom: 'pending_review', assignee: 'o2' });
    const err = await store.transition(order.id, 'rejected', 'op2', { expectFrom: 'pending_review' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleStateError);
    expect(err).toMatchObject({ code: 'STALE_STATE', expected: 'pending_review', actual: 'dispatched' });
    expect((await store.get(order.id))?.assignee).toBe('o2');
    expect((await store.list({ assignee: 'o2' }, { offset: 0, limit: 10 })).total).toBe(1);
  });

  it('lets exactly one of two concurrent reviews win (confirm vs reject, two connections)', async () => {
    const storeB = new RedisWorkOrderStore(other, prefix, { now: () => clock });
    for (let round = 0; round < 10; round++) {
      const { order } = await store.openOrMerge(input(det({ zoneId: `z${round}` }), { confirmed: false }));
      const results = await Promise.allSettled([
        store.transition(order.id, 'dispatched', 'op1', { expectFrom: 'pending_review', assignee: 'o1' }),
        storeB.transition(order.id, 'rejected', 'op2', { expectFrom: 'pending_review', rejection: { reason: 'not_a_violation' } }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0].reason).toBeInstanceOf(StaleStateError);
      const final = (await store.get(order.id))!;
      expect(final.audit.filter((a) => a.from === 'pending_review')).toHaveLength(1);
      expect((await store.list({ state: [final.state] }, { offset: 0, limit: 100 })).items.map((o) => o.id)).toContain(order.id);
      expect((await store.list({ state: ['pending_review'] }, { offset: 0, limit: 100 })).items.map((o) => o.id)).not.toContain(order.id);
    }
    // Without expectFrom the loser meets the new state instead: an illegal move.
    const { order } = await store.openOrMerge(input(det({ zoneId: 'zz' }), { confirmed: false }));
    const results = await Promise.allSettled([store.transition(order.id, 'dispatched', 'op1'), storeB.transition(order.id, 'rejected', 'op2')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toBeInstanceOf(IllegalTransitionError);
  });
});

describe('updates', () => {
  it('attaches evidence once, sets the SLA level while open, records the edge end', async () => {
    const { order } = await store.openOrMerge(input(det()));
    const e = evidence();
    const a = await store.attachEvidence(order.id, [e, order.evidence[0], e]);
    expect(a.evidence.map((x) => x.evidenceId)).toEqual([order.evidence[0].evidenceId, e.evidenceId]);
    expect((await store.setSla(order.id, 'yellow')).sla).toBe('yellow');
    const ended = await store.setEdgeEnded(order.id, { reason: 'left', at: iso(T0 + 600_000) });
    expect(ended.edgeEnded).toEqual({ reason: 'left', at: iso(T0 + 600_000) });
    await store.transition(order.id, 'self_cleared', 'edge');
    expect((await store.setSla(order.id, 'red')).sla).toBe('yellow');
    // Late photos still land on a closed order.
    expect((await store.attachEvidence(order.id, [evidence()])).evidence).toHaveLength(3);
    await expect(store.setSla('nope', 'red')).rejects.toBeInstanceOf(OrderNotFoundError);
  });
});

describe('unreadable records', () => {
  it('an open order that cannot be read takes no part in de-dup: an overlapping detection opens a new order, and the lists skip it', async () => {
    const logged: { orderId?: string }[] = [];
    store = new RedisWorkOrderStore(redis, prefix, { now: () => clock, logger: pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) }) });
    const first = det();
    const broken = (await store.openOrMerge(input(first))).order;
    await redis.set(`${prefix}:wo:${broken.id}`, '{"id":');

    const overlapping = await store.openOrMerge(input(det()));
    expect(overlapping.created).toBe(true);
    const late = await store.openOrMerge(input({ ...first, seq: 1, state: 'updated' }));
    expect(late).toMatchObject({ created: false, order: { id: overlapping.order.id } });
    expect((await store.list({}, { offset: 0, limit: 10 })).items.map((o) => o.id)).toEqual([overlapping.order.id]);
    await expect(store.get(broken.id)).rejects.toThrow(`work order ${broken.id} cannot be read: not JSON (`);
    expect(logged.map((l) => l.orderId)).toEqual([broken.id]);
  });
});

describe('list', () => {
  it('filters by state, team, type, device, camera, assignee, plate and time, newest first, with paging and total', async () => {
    const made: WorkOrder[] = [];
    const specs = [
      { team: 'north', type: 'illegal_parking', dev: 'pole-1', cam: 'cam-1', who: 'o1', plate: 'AA111' },
      { team: 'north', type: 'street_vending', dev: 'pole-1', cam: 'cam-2', who: null, plate: null },
      { team: 'south', type: 'illegal_parking', dev: 'pole-2', cam: 'cam-1', who: 'o2', plate: 'BB222' },
      { team: 'south', type: 'street_vending', dev: 'pole-2', cam: 'cam-2', who: 'o2', plate: null },
      { team: 'north', type: 'illegal_parking', dev: 'pole-3', cam: 'cam-1', who: 'o1', plate: 'AA111' },
      { team: 'south', type: 'illegal_parking', dev: 'pole-1', cam: 'cam-2', who: null, plate: null },
    ] as const;
    for (const [i, s] of specs.entries()) {
      const at = T0 + i * 60_000;
      const d = det({ deviceId: s.dev, cameraId: s.cam, type: s.type, discoveredAt: iso(at), ...(s.plate ? { plate: { text: s.plate, confidence: 0.9, readAt: iso(at) } } : {}) });
      made.push((await store.openOrMerge(input(d, { team: s.team, assignee: s.who, confirmed: s.who !== null }))).order);
    }
    const ids = (idx: number[]) => idx.map((i) => made[i].id);
    const q = async (f: Parameters<typeof store.list>[0], page = { offset: 0, limit: 100 }) => {
      const r = await store.list(f, page);
      return { ids: r.items.map((o) => o.id), total: r.total };
    };

    expect(await q({})).toEqual({ ids: ids([5, 4, 3, 2, 1, 0]), total: 6 });
    expect(await q({}, { offset: 1, limit: 2 })).toEqual({ ids: ids([4, 3]), total: 6 });
    expect(await q({}, { offset: 6, limit: 2 })).toEqual({ ids: [], total: 6 });
    expect(await q({ state: ['pending_review'] })).toEqual({ ids: ids([5, 1]), total: 2 });
    expect(await q({ state: ['pending_review', 'dispatched'], team: 'north' })).toEqual({ ids: ids([4, 1, 0]), total: 3 });
    expect(await q({ team: 'south', type: 'illegal_parking' })).toEqual({ ids: ids([5, 2]), total: 2 });
    expect(await q({ deviceId: 'pole-1' })).toEqual({ ids: ids([5, 1, 0]), total: 3 });
    expect(await q({ deviceId: 'pole-1', cameraId: 'cam-2' })).toEqual({ ids: ids([5, 1]), total: 2 });
    expect(await q({ cameraId: 'cam-1' })).toEqual({ ids: ids([4, 2, 0]), total: 3 });
    expect(await q({ assignee: 'o2' })).toEqual({ ids: ids([3, 2]), total: 2 });
    expect(await q({ plate: 'aa-111' })).toEqual({ ids: ids([4, 0]), total: 2 });
    expect(await q({ from: iso(T0 + 60_000), to: iso(T0 + 3 * 60_000) })).toEqual({ ids: ids([3, 2, 1]), total: 3 });
    expect(await q({ from: iso(T0 + 60_000), to: iso(T0 + 3 * 60_000), state: ['dispatched'] }, { offset: 1, limit: 1 })).toEqual({ ids: ids([2]), total: 2 });
    expect(await q({ team: 'nobody' })).toEqual({ ids: [], total: 0 });

    expect(await store.openCountByAssignee('south')).toEqual(new Map([['o2', 2]]));
    expect(await store.openCountByAssignee('east')).toEqual(new Map());
    expect(await store.countByPlate('AA111')).toBe(2);
    // The list script leaves no scratch keys behind.
    expect(await keysOf(redis, `${prefix}:wo-tmp:*`)).toEqual([]);
  });
});

/** Reports in RedisWorkOrderStore, on the real Redis: de-dup by place holds under races, and cameras merge into reported orders. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionMessage, Report } from '../contract/index.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import type { OpenReportInput } from './store-types.js';
import { snapshotScript } from './lua/snapshot.js';
import type { OrderState } from './work-order.js';
import { RedisWorkOrderStore } from './work-order-store.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const T0 = '2026-12-05T08:00:00.000Z';
const RULE = { radiusMeters: 50, windowMs: 3_600_000 };
const prefix = `{swreport-${randomBytes(4).toString('hex')}}`;
let redis: Redis;
let other: Redis;
let store: RedisWorkOrderStore;

const report = (location: { lat: number; long: number }, over: Partial<Report> = {}): Report => ({
  id: ulid(), source: 'open311', clientId: 'app', description: 'car on the crossing', location, receivedAt: T0, evidenceIds: [], ...over,
});
const input = (r: Report, over: Partial<OpenReportInput> = {}): OpenReportInput => ({
  report: r, type: 'illegal_parking', evidence: [], team: 'north', assignee: null, confirmed: false, deadlineAt: T0, near: RULE, nowIso: T0, ...over,
});
const det = (deviceId: string, over: Partial<DetectionMessage> = {}): DetectionMessage => ({
  v: 1, eventId: ulid(), seq: 0, deviceId, cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking', state: 'started', label: 'car', confidence: 0.9,
  bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 }, firstSeenAt: T0, discoveredAt: T0, sentAt: T0, evidence: [], ...over,
});

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  other = new Redis(REDIS_URL);
  store = new RedisWorkOrderStore(redis, prefix);
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await Promise.all([redis.quit(), other.quit()]);
});

describe('reports in the store', () => {
  it('makes exactly one order of 30 racing reports of one problem over two connections, holding every report', async () => {
    const spot = { lat: 31.1, long: 121.1 };
    const stores = [store, new RedisWorkOrderStore(other, prefix)];
    const reports = Array.from({ length: 30 }, (_, i) => report({ lat: spot.lat + (i % 5) * 0.00005, long: spot.long }));
    const results = await Promise.all(reports.map((r, i) => stores[i % 2].openReport(input(r))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const ids = new Set(results.map((r) => r.order.id));
    expect(ids.size).toBe(1);
    const order = (await store.get([...ids][0]))!;
    expect(order.reports.map((r) => r.id).sort()).toEqual(reports.map((r) => r.id).sort());
  });

  it('a camera detection near an open reported order (no camera yet) merges into it; a far one opens its own; a camera order is never a report target of another camera', async () => {
    const spot = { lat: 31.2, long: 121.2 };
    const { order: reported } = await store.openReport(input(report(spot)));
    const near = { radiusMeters: 50, windowMs: 3_600_000 };
    const cameraInput = (d: DetectionMessage, location: { lat: number; long: number }) => ({
      detection: d, team: 'north', assignee: null, location, confirmed: true, deadlineAt: T0, dedupeIou: 0.5, plateWindowMs: 0, nowIso: T0, near,
    });
    const seen = det('pole-a');
    const merged = await store.openOrMerge(cameraInput(seen, { lat: spot.lat + 0.0002, long: spot.long }));
    expect(merged).toMatchObject({ created: false, order: { id: reported.id, source: 'open311', deviceId: 'pole-a', eventIds: [seen.eventId] } });
    // The same event again finds it through its camera now.
    const again = await store.openOrMerge(cameraInput({ ...seen, seq: 1, state: 'updated' }, { lat: spot.lat, long: spot.long }));
    expect(again.order.id).toBe(reported.id);
    // Another camera near it: the order has its camera already, so this one opens its own.
    const second = await store.openOrMerge(cameraInput(det('pole-b'), { lat: spot.lat, long: spot.long }));
    expect(second.created).toBe(true);
    // Far away: its own order too.
    const far = await store.openOrMerge(cameraInput(det('pole-c'), { lat: spot.lat + 0.01, long: spot.long }));
    expect(far.created).toBe(true);
    // Reports look at every open order of the type nearby, camera orders included: the nearest wins.
    const joined = await store.openReport(input(report({ lat: spot.lat + 0.01, long: spot.long })));
    expect(joined).toMatchObject({ created: false, order: { id: far.order.id, source: 'camera' } });
  });

  it('a reported order closed leaves the de-dup scopes: the next report opens a new one', async () => {
    const spot = { lat: 31.3, long: 121.3 };
    const { order } = await store.openReport(input(report(spot)));
    await store.transition(order.id, 'cancelled', 'op');
    const next = await store.openReport(input(report(spot)));
    expect(next.created).toBe(true);
    expect(next.order.id).not.toBe(order.id);
  });
});

/** The place index (GEO sets): reports read only the open orders near them, and closed orders leave it. */
describe('reports find their candidates by place', () => {
  const nearKey = `${prefix}:wo-geo:near/illegal_parking`;
  /** Metres north of a place, in degrees of latitude (distanceMeters' sphere). */
  const north = (p: { lat: number; long: number }, m: number) => ({ lat: p.lat + m / 111_194.93, long: p.long });

  it('a report just outside the radius opens its own order; just inside, it joins', async () => {
    const spot = { lat: 31.4, long: 121.4 };
    const { order } = await store.openReport(input(report(spot)));
    const outside = await store.openReport(input(report(north(spot, RULE.radiusMeters + 1))));
    expect(outside.created).toBe(true);
    // South of the first, so the second order (now 52 m away) is not the nearer one.
    const inside = await store.openReport(input(report(north(spot, -(RULE.radiusMeters - 1)))));
    expect(inside).toMatchObject({ created: false, order: { id: order.id } });
  });

  // Every way an open order closes (and the camera's reopening of a resolved one, which brings it back).
  const closings: [OrderState, boolean, OrderState[]][] = [
    ['rejected', false, ['rejected']],
    ['cancelled', true, ['cancelled']],
    ['self_cleared', true, ['accepted', 'self_cleared']],
    ['resolved', true, ['accepted', 'on_site', 'resolved']],
    ['verified', true, ['accepted', 'on_site', 'resolved', 'verified']],
  ];
  it.each(closings)('an order closed as %s leaves the place index: the next report there opens a new one', async (closed, confirmed, path) => {
    const spot = { lat: 31.5 + closings.findIndex((c) => c[0] === closed) * 0.01, long: 121.5 };
    const { order } = await store.openReport(input(report(spot), { confirmed }));
    expect(await redis.zscore(nearKey, order.id)).not.toBeNull();
    for (const to of path) await store.transition(order.id, to, 'op');
    expect(await redis.zscore(nearKey, order.id)).toBeNull();
    expect(await redis.zscore(`${prefix}:wo-geo:reported/illegal_parking`, order.id)).toBeNull();
    const next = await store.openReport(input(report(spot)));
    expect(next.created).toBe(true);
  });

  it('a resolved order the camera reopens is back in the place index, and a camera order closing leaves it', async () => {
    const spot = { lat: 31.6, long: 121.6 };
    const { order } = await store.openReport(input(report(spot), { confirmed: true }));
    for (const to of ['accepted', 'on_site', 'resolved', 'dispatched'] as const) await store.transition(order.id, to, 'op');
    expect(await redis.zscore(nearKey, order.id)).not.toBeNull();
    expect(await store.openReport(input(report(spot)))).toMatchObject({ created: false, order: { id: order.id } });

    const cam = await store.openOrMerge({
      detection: det('pole-z'), team: 'north', assignee: null, location: { lat: 31.7, long: 121.7 }, confirmed: true, deadlineAt: T0, dedupeIou: 0.5, plateWindowMs: 0, nowIso: T0, near: RULE,
    });
    expect(await redis.zscore(nearKey, cam.order.id)).not.toBeNull();
    await store.transition(cam.order.id, 'self_cleared', 'edge');
    expect(await redis.zscore(nearKey, cam.order.id)).toBeNull();
  });

  it('with 2,000 open orders of the type elsewhere in the city, 30 racing reports read only the orders near them and make one order', async () => {
    const spot = { lat: 31.9, long: 121.9 };
    // A 50 × 40 grid of open orders ~110 m apart, starting ~1 km from the spot.
    for (let i = 0; i < 2000; i++) {
      const r = await store.openReport(input(report({ lat: spot.lat + 0.01 + Math.floor(i / 50) * 0.001, long: spot.long + (i % 50) * 0.001 })));
      expect(r.created).toBe(true);
    }
    expect(await redis.zcard(nearKey)).toBeGreaterThanOrEqual(2000);
    const { client, candidates } = countingCandidates(other);
    const stores = [store, new RedisWorkOrderStore(client, prefix)];
    const reports = Array.from({ length: 30 }, (_, i) => report(north(spot, (i % 5) * 5)));
    const results = await Promise.all(reports.map((r, i) => stores[i % 2].openReport(input(r))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
    // Each read saw at most the one order near the spot, never the 2,000 far away.
    expect(candidates.length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...candidates)).toBeLessThanOrEqual(1);
  });
});

/** A client on the real connection that records how many open orders each de-dup snapshot returned. */
function countingCandidates(conn: Redis): { client: Redis; candidates: number[] } {
  const candidates: number[] = [];
  const count = (reply: unknown): unknown => {
    candidates.push(((reply as unknown[]).length - 4) / 2);
    return reply;
  };
  // EVALSHA names the script by its SHA-1; the EVAL fallback (after NOSCRIPT) by its text.
  const counted = (name: 'evalsha' | 'eval', snapshotId: string) => (id: string, ...rest: unknown[]) =>
    (conn[name] as (...a: unknown[]) => Promise<unknown>).call(conn, id, ...rest).then((r) => (id === snapshotId ? count(r) : r));
  const client = new Proxy(conn, {
    get(target, p) {
      if (p === 'evalsha') return counted('evalsha', snapshotScript.sha);
      if (p === 'eval') return counted('eval', snapshotScript.lua);
      const v = Reflect.get(target, p) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { client, candidates };
}

/**
 * Orders the store cannot read back, as a deployment from before instants were bounded may hold
 * (a detection discovered on 9999-12-31 got a deadline in year 10000), or a damaged record: the
 * lists and KPIs skip them and answer for the rest.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../../test/helpers/redis-keys.js';
import { storeKpis } from '../../ticketing/kpi.js';
import { RedisWorkOrderStore, UnreadableOrderError } from '../../ticketing/work-order-store.js';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { auth, testApi } from './test-app.js';
import { REDIS_URL, seedOrder } from './test-store.js';

const T = (min: number) => new Date(Date.UTC(2026, 10, 26, 8, min)).toISOString();

describe('orders the store cannot read', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `{swapi-${randomBytes(6).toString('hex')}}`;
  const logged: { orderId?: string; err?: string; msg?: string }[] = [];
  const store = new RedisWorkOrderStore(redis, prefix, { logger: pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) }) });
  const { app, close } = testApi({ store, deps: { kpis: () => storeKpis(store) } });
  const good: WorkOrder[] = [];
  const bad: WorkOrder[] = [];

  beforeAll(async () => {
    good.push(
      await seedOrder(store, { discoveredAt: T(0), state: 'pending_review' }),
      await seedOrder(store, { discoveredAt: T(1), state: 'resolved' }),
      await seedOrder(store, { discoveredAt: T(2), state: 'pending_review' }),
    );
    bad.push(await seedOrder(store, { discoveredAt: T(3), state: 'pending_review' }), await seedOrder(store, { discoveredAt: T(4), state: 'dispatched' }));
    // Written over the records, their indexes kept: a damaged one, and the one the old ingest made of `discoveredAt: 9999-12-31T23:59:59.999Z`.
    await redis.set(`${prefix}:wo:${bad[0].id}`, JSON.stringify(bad[0]).slice(0, 80));
    await redis.set(`${prefix}:wo:${bad[1].id}`, JSON.stringify({ ...bad[1], discoveredAt: '9999-12-31T23:59:59.999Z', deadlineAt: new Date(Date.parse('9999-12-31T23:59:59.999Z') + 40 * 60_000).toISOString() }));
  });
  afterAll(async () => {
    await close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  const get = async (url: string) => {
    const res = await app.inject({ url, headers: auth('operator') });
    return { status: res.statusCode, body: res.json() };
  };
  const ids = (items: WorkOrder[]) => items.map((o) => o.id);

  it('GET /api/orders answers with the readable orders; each unreadable one is logged once, by id', async () => {
    const first = await get('/api/orders');
    expect(first.status).toBe(200);
    expect(ids(first.body.items)).toEqual(ids([...good].reverse()));
    expect(first.body.total).toBe(5); // the index still holds them
    expect((await get('/api/orders?state=dispatched')).body.items).toEqual([]);
    // Newest first, and not again for the second list.
    expect(logged.map((l) => [l.orderId, l.msg])).toEqual([...bad].reverse().map((o) => [o.id, 'work order skipped: cannot be read']));
    expect(logged[0].err).toBe(`work order ${bad[1].id} cannot be read: deadlineAt: must be ISO 8601 UTC with milliseconds (…T08:41:12.345Z)`);
    expect(logged[1].err).toMatch(new RegExp(`^work order ${bad[0].id} cannot be read: not JSON \\(`));
  });

  it('GET /api/review answers with the readable orders awaiting review, oldest first', async () => {
    const res = await get('/api/review');
    expect(res.status).toBe(200);
    expect(ids(res.body.items)).toEqual([good[0].id, good[2].id]);
  });

  it('GET /api/kpis counts the readable orders', async () => {
    const res = await get('/api/kpis');
    expect(res.status).toBe(200);
    expect(res.body.overall).toMatchObject({ orders: 3, open: 2, closed: 1, byState: { pending_review: 2, resolved: 1 } });
  });

  it('reading one of them names it and what is wrong', async () => {
    await expect(store.get(bad[1].id)).rejects.toThrow(new UnreadableOrderError(bad[1].id, 'deadlineAt: must be ISO 8601 UTC with milliseconds (…T08:41:12.345Z)'));
  });
});

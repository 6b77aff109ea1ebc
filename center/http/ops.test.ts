import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../../test/helpers/redis-keys.js';
import { storeKpis } from '../../ticketing/kpi.js';
import { DeadLetterStore } from '../ingest/dead-letters.js';
import { PROMETHEUS_CONTENT_TYPE } from './ops.js';
import { auth, DEVICES, testApi } from './test-app.js';
import { REDIS_URL, redisStore, seedOrder } from './test-store.js';

describe('health, metrics and read-only side endpoints', () => {
  const { app, store, close } = testApi();
  afterAll(() => close());

  it('/healthz is public: 200 when ok, 503 when not or when the check throws', async () => {
    const before = Date.now();
    const ok = await app.inject({ url: '/healthz' });
    expect(ok.statusCode).toBe(200);
    const body = ok.json() as { time: string };
    expect(body).toEqual({ ok: true, checks: { redis: true, mqtt: true }, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(Date.parse(body.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(body.time)).toBeLessThanOrEqual(Date.now());
    const down = testApi({ store, deps: { health: async () => ({ ok: false, checks: { redis: false } }) } }).app;
    expect((await down.inject({ url: '/healthz' })).statusCode).toBe(503);
    const at = Date.parse('2026-11-26T08:00:00.123Z');
    const broken = testApi({ store, deps: { health: async () => Promise.reject(new Error('boom')), now: () => at } }).app;
    const res = await broken.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ok: false, checks: {}, time: '2026-11-26T08:00:00.123Z' });
  });

  it('/metrics: the lead\'s lines plus HTTP counters by route and status, in Prometheus text format', async () => {
    await app.inject({ url: '/api/orders', headers: auth('admin') });
    await app.inject({ url: '/api/orders' });
    await app.inject({ url: '/api/orders/01ABC', headers: auth('admin') });
    await app.inject({ url: '/api/orders/by-plate/AB123', headers: auth('admin') });
    await app.inject({ url: '/nowhere?plate=AB123' });
    const res = await app.inject({ url: '/metrics', headers: auth('admin') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = res.body;
    expect(text.startsWith('# TYPE streetwatch_orders_open gauge\nstreetwatch_orders_open 3\n')).toBe(true);
    expect(text).toContain('# TYPE streetwatch_http_requests_total counter\n');
    expect(text).toContain('streetwatch_http_requests_total{method="GET",route="/api/orders",status="200"} 1\n');
    expect(text).toContain('streetwatch_http_requests_total{method="GET",route="/api/orders",status="401"} 1\n');
    expect(text).toContain('streetwatch_http_requests_total{method="GET",route="/api/orders/:id",status="404"} 1\n');
    expect(text).toContain('streetwatch_http_requests_total{method="GET",route="unmatched",status="404"} 1\n');
    expect(text).toMatch(/streetwatch_http_request_duration_seconds_count\{method="GET",route="\/api\/orders",status="200"\} 1\n/);
    // Route templates only: no ids or plates in label values.
    expect(text).not.toContain('AB123');
    expect(text.endsWith('\n')).toBe(true);
    // Every non-comment line is `name{labels} value` or `name value`.
    for (const line of text.trimEnd().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.eE+-]+$/);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });

  it('serves dead letters from the real store, paged newest first, and KPIs computed from the orders in the store', async () => {
    const redis = new Redis(REDIS_URL);
    const prefix = `{swops-${randomBytes(4).toString('hex')}}`;
    const letters = new DeadLetterStore(redis, prefix);
    for (const n of [1, 2, 3]) await letters.add({ topic: `bad/${n}`, code: 'unknown_topic', reason: `no such topic ${n}`, payload: Buffer.from('{}') });
    const orders = redisStore();
    const own = testApi({ store: orders.store, deps: { deadLetters: { list: (p) => letters.page(p), count: () => letters.count() }, kpis: () => storeKpis(orders.store) } });
    try {
      const page = (await own.app.inject({ url: '/api/dead-letters?offset=1&limit=1', headers: auth('operator') })).json();
      expect(page).toMatchObject({ total: 3, offset: 1, limit: 1 });
      expect(page.items.map((l: { topic: string; reason: string }) => [l.topic, l.reason])).toEqual([['bad/2', 'no such topic 2']]);

      const at = new Date(Date.now() - 10 * 60_000).toISOString();
      await seedOrder(own.store, { discoveredAt: at, state: 'resolved' });
      await seedOrder(own.store, { discoveredAt: at, state: 'dispatched' });
      const kpi = await own.app.inject({ url: '/api/kpis', headers: auth('operator') });
      expect(kpi.json().overall).toMatchObject({ orders: 2, open: 1, closed: 1, slaJudged: 1, slaMet: 1, slaCompliance: 1, byState: { resolved: 1, dispatched: 1 } });
    } finally {
      await own.close();
      await orders.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });

  it('lists devices for any signed-in user', async () => {
    expect((await app.inject({ url: '/api/devices' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/devices', headers: auth('officer') })).json()).toEqual({ items: DEVICES, total: 1 });
  });

  it('a failing dependency answers 500 without leaking its message or stack', async () => {
    const { app: failing } = testApi({ store, deps: { kpis: async () => Promise.reject(new Error('redis password=hunter2 at /srv/x.js:1')) } });
    const res = await failing.inject({ url: '/api/kpis', headers: auth('admin') });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error', code: 'INTERNAL' });
    expect(res.body).not.toMatch(/hunter2|\.js|stack/);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { PROMETHEUS_CONTENT_TYPE } from './ops.js';
import { auth, DEAD_LETTERS, DEVICES, testApi } from './test-app.js';

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

  it('dead letters, devices and KPIs', async () => {
    const dl = await app.inject({ url: '/api/dead-letters?limit=10', headers: auth('operator') });
    expect(dl.json()).toEqual({ items: DEAD_LETTERS, total: 1, offset: 0, limit: 10 });
    const dev = await app.inject({ url: '/api/devices', headers: auth('officer') });
    expect(dev.json()).toEqual({ items: DEVICES, total: 1 });
    const kpi = await app.inject({ url: '/api/kpis', headers: auth('operator') });
    expect(kpi.json()).toEqual({ withinSla: 0.9 });
  });

  it('a failing dependency answers 500 without leaking its message or stack', async () => {
    const { app: failing } = testApi({ store, deps: { kpis: async () => Promise.reject(new Error('redis password=hunter2 at /srv/x.js:1')) } });
    const res = await failing.inject({ url: '/api/kpis', headers: auth('admin') });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error', code: 'INTERNAL' });
    expect(res.body).not.toMatch(/hunter2|\.js|stack/);
  });
});

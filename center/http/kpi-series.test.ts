import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpiSeriesSchema } from '../../contract/index.js';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { kpiSeries } from './kpi-series.js';
import { seedOrder } from './test-store.js';
import { auth, testApi } from './test-app.js';
import { bucketKey, timeBuckets } from './time-buckets.js';

const ms = (iso: string) => Date.parse(iso);

describe('calendar buckets in the centre time zone', () => {
  it('keys instants by local day and hour', () => {
    expect(bucketKey(ms('2026-11-26T16:30:00.000Z'), 'day', 'Asia/Shanghai')).toBe('2026-11-27');
    expect(bucketKey(ms('2026-11-26T15:59:59.999Z'), 'day', 'Asia/Shanghai')).toBe('2026-11-26');
    expect(bucketKey(ms('2026-11-26T16:30:00.000Z'), 'hour', 'Asia/Shanghai')).toBe('2026-11-27T00');
    expect(bucketKey(ms('2026-11-26T16:30:00.000Z'), 'hour', 'Asia/Kolkata')).toBe('2026-11-26T22');
  });

  it('lists the local days and hours a range touches, starting where each begins', () => {
    const days = timeBuckets(ms('2026-11-23T04:00:00.000Z'), ms('2026-11-26T04:00:00.000Z'), 'day', 'Asia/Shanghai');
    expect(days.map((b) => b.key)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26']);
    expect(new Date(days[1].startMs).toISOString()).toBe('2026-11-23T16:00:00.000Z');
    const hours = timeBuckets(ms('2026-11-26T08:20:00.000Z'), ms('2026-11-27T08:20:00.000Z'), 'hour', 'Asia/Kolkata');
    expect(hours).toHaveLength(25);
    expect(new Date(hours[1].startMs).toISOString()).toBe('2026-11-26T08:30:00.000Z'); // a half-hour zone
  });

  it('gives a DST day its real length', () => {
    // Europe/Berlin springs forward on 2026-03-29: that local day has 23 hours.
    const hours = timeBuckets(ms('2026-03-28T23:00:00.000Z'), ms('2026-03-29T22:00:00.000Z'), 'hour', 'Europe/Berlin');
    expect(hours).toHaveLength(23);
    expect(hours.map((h) => h.key)).not.toContain('2026-03-29T02');
  });
});

/** Just what kpiGroup reads. */
function order(id: string, discoveredAt: string, state: WorkOrder['state'], closedAfterMin?: number, cameraId = 'cam-1'): WorkOrder {
  const closed = closedAfterMin === undefined ? {} : { [state]: new Date(ms(discoveredAt) + closedAfterMin * 60_000).toISOString() };
  return {
    id, type: 'illegal_parking', state, deviceId: 'box-1', cameraId, zoneId: 'kerb', team: 'north', assignee: null, location: null,
    eventIds: ['e'], evidence: [], bbox: null, label: 'car', confidence: 0.8, plate: null, discoveredAt, createdAt: discoveredAt, updatedAt: discoveredAt,
    deadlineAt: new Date(ms(discoveredAt) + 40 * 60_000).toISOString(), stateTimes: closed, sla: 'green', edgeEnded: null, rejection: null, audit: [], source: 'camera', reports: [],
  };
}

describe('KPIs over time', () => {
  it('computes each local day, the whole range and each camera', () => {
    const orders = [
      order('a', '2026-11-24T02:00:00.000Z', 'resolved', 10),
      order('b', '2026-11-24T03:00:00.000Z', 'resolved', 50),
      order('c', '2026-11-25T17:00:00.000Z', 'rejected', 2, 'cam-2'), // 11-26 01:00 in Shanghai
      order('d', '2026-11-20T02:00:00.000Z', 'resolved', 5), // before the range
    ];
    const s = kpiSeries(orders, ms('2026-11-23T16:00:00.000Z'), ms('2026-11-26T08:00:00.000Z'), 'day', 'Asia/Shanghai');
    expect(s.buckets.map((b) => [b.key, b.kpi.orders])).toEqual([['2026-11-24', 2], ['2026-11-25', 0], ['2026-11-26', 1]]);
    expect(s.buckets[0].kpi.discoveryToResolve).toEqual({ count: 2, medianSeconds: 1800, p90Seconds: 2760 });
    expect(s.buckets[0].kpi).toMatchObject({ slaJudged: 2, slaMet: 1, slaCompliance: 0.5 });
    expect(s.buckets[1].kpi.slaCompliance).toBeNull();
    expect(s.overall).toMatchObject({ orders: 3, slaJudged: 3, slaMet: 2 });
    expect(Object.keys(s.byCamera)).toEqual(['box-1/cam-1', 'box-1/cam-2']);
    expect(s.byCamera['box-1/cam-2']).toMatchObject({ orders: 1, rejectedShare: 1 });
    expect(s).toMatchObject({ timezone: 'Asia/Shanghai', bucket: 'day' });
    // The contract's shape exactly: parse strips keys it does not know.
    expect(kpiSeriesSchema.parse(s)).toEqual(s);
  });
});

describe('GET /api/kpis/series', () => {
  const NOW = Date.now();
  const { app, store, close } = testApi({ deps: { now: () => NOW } });
  beforeAll(async () => {
    await seedOrder(store, { discoveredAt: new Date(NOW - 3 * 3600_000).toISOString(), state: 'resolved' });
    await seedOrder(store, { discoveredAt: new Date(NOW - 3 * 86_400_000).toISOString(), cameraId: 'cam-2', state: 'rejected' });
  });
  afterAll(() => close());

  it('cuts the last 24 hours by hour and the last 7 days by day', async () => {
    const day = await app.inject({ url: '/api/kpis/series?range=24h', headers: auth('officer') });
    expect(day.statusCode).toBe(200);
    expect(day.json()).toMatchObject({ bucket: 'hour', timezone: 'Asia/Shanghai', overall: { orders: 1, byState: { resolved: 1 } } });
    expect(day.json().buckets.length).toBeGreaterThanOrEqual(24);
    const week = (await app.inject({ url: '/api/kpis/series', headers: auth('operator') })).json();
    expect(week).toMatchObject({ bucket: 'day', overall: { orders: 2, rejectedShare: 0.5 } });
    expect(Object.keys(week.byCamera).sort()).toEqual(['box-1/cam-1', 'box-1/cam-2']);
  });

  it('refuses other ranges and anonymous callers', async () => {
    const bad = await app.inject({ url: '/api/kpis/series?range=1y', headers: auth('admin') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'range' });
    expect((await app.inject({ url: '/api/kpis/series' })).statusCode).toBe(401);
  });
});

/**
 * `GET /api/kpis/series?range=24h|7d|30d`: the KPIs of orders discovered in each local hour (24h)
 * or day (7d, 30d) of the centre's time zone, plus per camera over the whole range, for the
 * console's charts, with the whole range overall and per camera. Same figures as `/api/kpis`,
 * cut by discovery time.
 */
import { z } from 'zod';
import type { KpiSeries } from '../../contract/index.js';
import { computeKpis, kpiGroup } from '../../ticketing/kpi.js';
import type { WorkOrder } from '../../ticketing/work-order.js';
import type { ApiApp, ApiContext } from './context.js';
import { bucketKey, timeBuckets, type BucketSize } from './time-buckets.js';

const RANGES: Record<string, { ms: number; size: BucketSize }> = {
  '24h': { ms: 24 * 3600_000, size: 'hour' },
  '7d': { ms: 7 * 24 * 3600_000, size: 'day' },
  '30d': { ms: 30 * 24 * 3600_000, size: 'day' },
};
const query = z.object({ range: z.enum(['24h', '7d', '30d'], { error: 'must be 24h, 7d or 30d' }).default('7d') });

/** As in /api/kpis: a city's month of orders fits in memory as plain objects. */
const ORDER_LIMIT = 100_000;

/** Pure: orders grouped into the range's buckets (orders outside it are ignored). */
export function kpiSeries(orders: readonly WorkOrder[], fromMs: number, toMs: number, size: BucketSize, timeZone: string): KpiSeries {
  const buckets = timeBuckets(fromMs, toMs, size, timeZone);
  const groups = new Map<string, WorkOrder[]>(buckets.map((b) => [b.key, []]));
  const inRange: WorkOrder[] = [];
  for (const o of orders) {
    const group = groups.get(bucketKey(Date.parse(o.discoveredAt), size, timeZone));
    if (!group) continue;
    group.push(o);
    inRange.push(o);
  }
  const whole = computeKpis(inRange);
  return {
    timezone: timeZone,
    bucket: size,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    buckets: buckets.map((b) => ({ key: b.key, start: new Date(b.startMs).toISOString(), kpi: kpiGroup(groups.get(b.key)!) })),
    overall: kpiGroup(inRange),
    byCamera: whole.byCamera,
    byTeam: whole.byTeam,
    bySource: whole.bySource,
  };
}

export function kpiSeriesRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/api/kpis/series', {
    schema: {
      summary: 'KPIs by local hour (24h) or day (7d, 30d) of discovery, for charts',
      description: 'Answers `{ timezone, bucket, from, to, buckets: [{ key, start, kpi }], overall, byCamera, byTeam, bySource }`, each KPI group as in /api/kpis.',
      tags: ['kpis'],
      querystring: query,
    },
  }, async (req) => {
    const { range } = req.query;
    const { ms, size } = RANGES[range];
    const toMs = ctx.now();
    const fromMs = toMs - ms;
    const { items } = await ctx.deps.store.list({ from: new Date(fromMs).toISOString() }, { offset: 0, limit: ORDER_LIMIT });
    return kpiSeries(items, fromMs, toMs, size, ctx.config.timezone);
  });
}

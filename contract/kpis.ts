/**
 * Work-order KPIs as the HTTP API serves them (`/api/kpis`, `/api/kpis/series`) and the console
 * draws them. The figures are computed by the centre (ticketing/kpi.ts); durations are in seconds
 * and not clamped (a negative one means the edge clock is off), so they carry no lower bound.
 */
import { z } from 'zod';
import { isoTime, unit } from './fields.js';
import { orderState } from './work-orders.js';

const count = z.number().int().min(0);
/** Null when there is nothing to divide by. */
const share = unit.nullable();

export const durationStatsSchema = z
  .object({ count, medianSeconds: z.number().nullable(), p90Seconds: z.number().nullable() })
  .meta({ id: 'DurationStats' });

/** Camera-verified closure (issue 16): of the camera orders officers resolved, what the camera made of them. */
export const verificationKpisSchema = z
  .object({
    /** Orders closed `verified`: the camera saw the problem gone after the officer resolved it. */
    verified: count,
    /** Camera orders an officer resolved at least once (the ones a camera checks). */
    resolvedByOfficer: count,
    /** Of those, the ones the camera reopened at least once (still there after resolve). */
    reopened: count,
    /** reopened / resolvedByOfficer. */
    reopenRate: share,
  })
  .meta({ id: 'VerificationKpis' });

export const kpiGroupSchema = z
  .object({
    orders: count,
    open: count,
    /** Every non-open state, cancelled included. */
    closed: count,
    byState: z.partialRecord(orderState, count),
    /** discoveredAt → dispatched (orders that were dispatched). */
    discoveryToDispatch: durationStatsSchema,
    /** dispatched → accepted. */
    dispatchToAccept: durationStatsSchema,
    /** discoveredAt → resolved (resolved and verified orders; the officer's resolve time). */
    discoveryToResolve: durationStatsSchema,
    /** Handled orders (resolved, self-cleared, rejected); cancelled ones are judged by nobody. */
    slaJudged: count,
    slaMet: count,
    /** slaMet / slaJudged. */
    slaCompliance: share,
    /** Shares of `closed`. */
    selfClearedShare: share,
    rejectedShare: share,
    verification: verificationKpisSchema,
  })
  .meta({ id: 'KpiGroup' });

const groups = z.record(z.string(), kpiGroupSchema);

/** `/api/kpis`: overall and per violation type, team and camera. */
export const kpiReportSchema = z
  .object({
    overall: kpiGroupSchema,
    byType: groups,
    byTeam: groups,
    /** Keyed `<deviceId>/<cameraId>`; orders no camera saw are in none. */
    byCamera: groups,
    /** Keyed by where the orders came from: `camera`, `open311`, `inspector`. */
    bySource: groups,
  })
  .meta({ id: 'KpiReport' });

/** `/api/kpis/series`: orders cut by the local hour or day of the centre's time zone they were discovered in. */
export const kpiSeriesSchema = z
  .object({
    timezone: z.string(),
    bucket: z.enum(['hour', 'day']),
    from: isoTime,
    to: isoTime,
    buckets: z.array(z.object({ key: z.string(), start: isoTime, kpi: kpiGroupSchema })),
    /** The whole range. */
    overall: kpiGroupSchema,
    byCamera: groups,
    /** The whole range per team (camera verification per team). */
    byTeam: groups,
    /** The whole range per source: `camera`, `open311`, `inspector`. */
    bySource: groups,
  })
  .meta({ id: 'KpiSeries' });

export type DurationStats = z.output<typeof durationStatsSchema>;
export type VerificationKpis = z.output<typeof verificationKpisSchema>;
export type KpiGroup = z.output<typeof kpiGroupSchema>;
export type KpiReport = z.output<typeof kpiReportSchema>;
export type KpiSeries = z.output<typeof kpiSeriesSchema>;

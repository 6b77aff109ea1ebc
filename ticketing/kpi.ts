/**
 * Work-order KPIs — pure, over a list of orders (the caller chooses the period by what it lists);
 * `storeKpis` lists them from the store for the API. The shapes are the contract's (contract/kpis.ts).
 *
 * Percentiles use linear interpolation between closest ranks (the "R-7" / numpy default / Excel
 * PERCENTILE.INC method): for sorted x[0..n-1] and p in [0,1], h = (n-1)·p and the value is
 * x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1]-x[⌊h⌋]). So the median of an even count is the mean of the middle two.
 * Durations are in seconds and are not clamped: a negative one means the edge clock is off.
 */
import type { DurationStats, KpiGroup, KpiReport, VerificationKpis } from '../contract/index.js';
import { HANDLED_STATES, slaMet } from './sla.js';
import type { WorkOrderStore } from './store-types.js';
import { awaitsCamera, reopenCount } from './verification.js';
import { isOpen, type OrderState, type WorkOrder } from './work-order.js';

/** Linear-interpolation percentile of an ascending list; p in [0,1]. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function durationStats(seconds: readonly number[]): DurationStats {
  const s = [...seconds].sort((a, b) => a - b);
  return { count: s.length, medianSeconds: percentile(s, 0.5), p90Seconds: percentile(s, 0.9) };
}

const secondsBetween = (from: string | undefined, to: string | undefined): number | null =>
  from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : null;

const share = (n: number, of: number): number | null => (of > 0 ? n / of : null);

export function kpiGroup(orders: readonly WorkOrder[]): KpiGroup {
  const byState: Partial<Record<OrderState, number>> = {};
  const toDispatch: number[] = [];
  const toAccept: number[] = [];
  const toResolve: number[] = [];
  let open = 0;
  let judged = 0;
  let met = 0;
  for (const o of orders) {
    byState[o.state] = (byState[o.state] ?? 0) + 1;
    if (isOpen(o.state)) open++;
    const t = o.stateTimes;
    const dd = secondsBetween(o.discoveredAt, t.dispatched);
    if (dd !== null) toDispatch.push(dd);
    const da = secondsBetween(t.dispatched, t.accepted);
    if (da !== null) toAccept.push(da);
    const dr = o.state === 'resolved' || o.state === 'verified' ? secondsBetween(o.discoveredAt, t.resolved) : null;
    if (dr !== null) toResolve.push(dr);
    if (HANDLED_STATES.includes(o.state)) {
      judged++;
      if (slaMet(o)) met++;
    }
  }
  const closed = orders.length - open;
  return {
    orders: orders.length,
    open,
    closed,
    byState,
    discoveryToDispatch: durationStats(toDispatch),
    dispatchToAccept: durationStats(toAccept),
    discoveryToResolve: durationStats(toResolve),
    slaJudged: judged,
    slaMet: met,
    slaCompliance: share(met, judged),
    selfClearedShare: share(byState.self_cleared ?? 0, closed),
    rejectedShare: share(byState.rejected ?? 0, closed),
    verification: verificationKpis(orders),
  };
}

/** Verified closures and the reopen rate: how often the camera found a resolved problem still there. */
export function verificationKpis(orders: readonly WorkOrder[]): VerificationKpis {
  let verified = 0;
  let resolvedByOfficer = 0;
  let reopened = 0;
  for (const o of orders) {
    if (o.state === 'verified') verified++;
    if (!awaitsCamera(o) || o.stateTimes.resolved === undefined) continue;
    resolvedByOfficer++;
    if (reopenCount(o) > 0) reopened++;
  }
  return { verified, resolvedByOfficer, reopened, reopenRate: share(reopened, resolvedByOfficer) };
}

/** `key` null: the order is in no group. */
function groupBy(orders: readonly WorkOrder[], key: (o: WorkOrder) => string | null): Record<string, KpiGroup> {
  const groups = new Map<string, WorkOrder[]>();
  for (const o of orders) {
    const k = key(o);
    if (k === null) continue;
    const g = groups.get(k);
    if (g) g.push(o);
    else groups.set(k, [o]);
  }
  const out: Record<string, KpiGroup> = {};
  for (const k of [...groups.keys()].sort()) out[k] = kpiGroup(groups.get(k)!);
  return out;
}

/** `<deviceId>/<cameraId>`, or null for an order no camera saw. */
const cameraKey = (o: Pick<WorkOrder, 'deviceId' | 'cameraId'>): string | null => (o.deviceId === null ? null : `${o.deviceId}/${o.cameraId}`);

/** Overall and per type, team, camera and source; plain JSON. */
export function computeKpis(orders: readonly WorkOrder[]): KpiReport {
  return {
    overall: kpiGroup(orders),
    byType: groupBy(orders, (o) => o.type),
    byTeam: groupBy(orders, (o) => o.team),
    byCamera: groupBy(orders, cameraKey),
    bySource: groupBy(orders, (o) => o.source),
  };
}

/** Orders the KPI endpoint looks at; a city's year of orders fits in memory as plain objects. */
const KPI_ORDER_LIMIT = 100_000;

/** The KPIs of the newest KPI_ORDER_LIMIT orders in the store (those it can read). */
export async function storeKpis(store: WorkOrderStore): Promise<KpiReport> {
  return computeKpis((await store.list({}, { offset: 0, limit: KPI_ORDER_LIMIT })).items);
}

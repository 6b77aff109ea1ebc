import { describe, expect, it } from 'vitest';
import { kpiReportSchema } from '../contract/index.js';
import { computeKpis, durationStats, percentile, verificationKpis } from './kpi.js';
import type { OrderState, WorkOrder } from './work-order.js';

const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function order(n: number, type: WorkOrder['type'], team: string, deviceId: string, state: OrderState, times: Partial<Record<OrderState, number>>): WorkOrder {
  const stateTimes = Object.fromEntries(Object.entries(times).map(([k, s]) => [k, at(s!)]));
  return {
    id: `WO${n}`, type, state, deviceId, cameraId: 'cam-1', zoneId: 'kerb', team, assignee: null, location: null, eventIds: [`e${n}`],
    evidence: [], bbox: null, label: 'car', confidence: 0.9, plate: null, discoveredAt: at(0), createdAt: at(0), updatedAt: at(0),
    deadlineAt: at(40 * 60), stateTimes, sla: 'green', edgeEnded: null, rejection: null, audit: [], source: 'camera', reports: [],
  };
}

// Seconds after discovery. Hand-computed expectations are in the tests below.
const orders = [
  order(1, 'illegal_parking', 'north', 'pole-1', 'resolved', { dispatched: 60, accepted: 70, on_site: 600, resolved: 1200 }),
  order(2, 'illegal_parking', 'north', 'pole-1', 'resolved', { dispatched: 120, accepted: 160, on_site: 2000, resolved: 3000 }), // late
  order(3, 'street_vending', 'south', 'pole-2', 'self_cleared', { dispatched: 30, accepted: 50, self_cleared: 600 }),
  order(4, 'illegal_parking', 'south', 'pole-2', 'on_site', { dispatched: 300, accepted: 400, on_site: 900 }),
  order(5, 'street_vending', 'north', 'pole-1', 'dispatched', { dispatched: 90 }),
  order(6, 'illegal_parking', 'north', 'pole-1', 'rejected', { pending_review: 0, rejected: 200 }),
  order(7, 'street_vending', 'south', 'pole-2', 'cancelled', { pending_review: 0, cancelled: 100 }),
];

describe('percentile (linear interpolation)', () => {
  it('matches hand computations', () => {
    expect(percentile([30, 60, 90, 120, 300], 0.5)).toBe(90);
    expect(percentile([30, 60, 90, 120, 300], 0.9)).toBeCloseTo(228, 9); // h = 3.6 → 120 + 0.6·180
    expect(percentile([10, 20, 40, 100], 0.5)).toBe(30); // mean of the middle two
    expect(percentile([10, 20, 40, 100], 0.9)).toBeCloseTo(82, 9); // h = 2.7 → 40 + 0.7·60
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });
  it('sorts its input', () => {
    expect(durationStats([300, 30, 120, 60, 90])).toEqual({ count: 5, medianSeconds: 90, p90Seconds: expect.closeTo(228, 9) });
  });
});

describe('computeKpis', () => {
  const k = computeKpis(orders);

  it('computes overall durations, SLA compliance and shares', () => {
    const o = k.overall;
    expect(o).toMatchObject({ orders: 7, open: 2, closed: 5, slaJudged: 4, slaMet: 3, slaCompliance: 0.75, selfClearedShare: 0.2, rejectedShare: 0.2 });
    expect(o.byState).toEqual({ resolved: 2, self_cleared: 1, on_site: 1, dispatched: 1, rejected: 1, cancelled: 1 });
    expect(o.discoveryToDispatch).toEqual({ count: 5, medianSeconds: 90, p90Seconds: expect.closeTo(228, 9) });
    expect(o.dispatchToAccept).toEqual({ count: 4, medianSeconds: 30, p90Seconds: expect.closeTo(82, 9) });
    // [1200, 3000]: median 2100; p90 h = 0.9 → 1200 + 0.9·1800 = 2820.
    expect(o.discoveryToResolve).toEqual({ count: 2, medianSeconds: 2100, p90Seconds: expect.closeTo(2820, 9) });
  });

  it('groups by team', () => {
    const north = k.byTeam.north!;
    // Dispatch [60, 90, 120]: median 90, p90 h = 1.8 → 90 + 0.8·30 = 114. Accept [10, 40]: 25, 37.
    expect(north.discoveryToDispatch).toEqual({ count: 3, medianSeconds: 90, p90Seconds: expect.closeTo(114, 9) });
    expect(north.dispatchToAccept).toEqual({ count: 2, medianSeconds: 25, p90Seconds: expect.closeTo(37, 9) });
    expect(north).toMatchObject({ orders: 4, closed: 3, slaJudged: 3, slaMet: 2, slaCompliance: 2 / 3, rejectedShare: 1 / 3, selfClearedShare: 0 });
    const south = k.byTeam.south!;
    // Dispatch [30, 300]: 165, 30 + 0.9·270 = 273. Accept [20, 100]: 60, 92.
    expect(south.discoveryToDispatch).toEqual({ count: 2, medianSeconds: 165, p90Seconds: expect.closeTo(273, 9) });
    expect(south.dispatchToAccept).toEqual({ count: 2, medianSeconds: 60, p90Seconds: expect.closeTo(92, 9) });
    expect(south.discoveryToResolve).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
    expect(south).toMatchObject({ orders: 3, closed: 2, slaJudged: 1, slaCompliance: 1, selfClearedShare: 0.5, rejectedShare: 0 });
  });

  it('groups by type and camera', () => {
    const parking = k.byType.illegal_parking!;
    // Dispatch [60, 120, 300]: 120, 120 + 0.8·180 = 264. Accept [10, 40, 100]: 40, 40 + 0.8·60 = 88.
    expect(parking.discoveryToDispatch).toEqual({ count: 3, medianSeconds: 120, p90Seconds: expect.closeTo(264, 9) });
    expect(parking.dispatchToAccept).toEqual({ count: 3, medianSeconds: 40, p90Seconds: expect.closeTo(88, 9) });
    expect(parking.slaCompliance).toBeCloseTo(2 / 3, 12);
    expect(k.byType.street_vending).toMatchObject({ orders: 3, open: 1, slaJudged: 1, slaMet: 1 });
    expect(Object.keys(k.byCamera)).toEqual(['pole-1/cam-1', 'pole-2/cam-1']);
    expect(k.byCamera['pole-1/cam-1']).toEqual(k.byTeam.north);
  });

  it('has no verification figures when no order went through the camera check', () => {
    expect(k.overall.verification).toEqual({ verified: 0, resolvedByOfficer: 2, reopened: 0, reopenRate: 0 });
    expect(k.byTeam.south!.verification).toEqual({ verified: 0, resolvedByOfficer: 0, reopened: 0, reopenRate: null });
  });

  it('is JSON-able and handles no orders', () => {
    expect(JSON.parse(JSON.stringify(k))).toEqual(k);
    expect(computeKpis([]).overall).toMatchObject({ orders: 0, slaCompliance: null, selfClearedShare: null, rejectedShare: null });
  });

  it('is the shape the contract promises the console, no field more or less', () => {
    // parse strips keys the schema does not know, so an extra field fails the comparison too.
    for (const report of [k, computeKpis([])]) expect(kpiReportSchema.parse(report)).toEqual(report);
  });
});

describe('verification KPIs', () => {
  const reopen = { at: at(2000), by: 'edge', from: 'resolved' as const, to: 'dispatched' as const, note: 'still there after resolve' };
  const resolvedOnce = { on_site: 600, resolved: 1200 };
  const team = [
    order(11, 'illegal_parking', 'north', 'pole-1', 'verified', { ...resolvedOnce, verified: 1300 }),
    order(12, 'illegal_parking', 'north', 'pole-1', 'verified', { ...resolvedOnce, verified: 1250 }),
    // Reopened once, then resolved again and verified: counts as verified and as reopened.
    { ...order(13, 'illegal_parking', 'north', 'pole-1', 'verified', { ...resolvedOnce, verified: 2600 }), audit: [reopen] },
    // Reopened and still open.
    { ...order(14, 'illegal_parking', 'south', 'pole-2', 'dispatched', { ...resolvedOnce, dispatched: 2000 }), audit: [reopen] },
    order(15, 'illegal_parking', 'south', 'pole-2', 'resolved', resolvedOnce),
    // Never resolved by an officer: not counted.
    order(16, 'illegal_parking', 'south', 'pole-2', 'self_cleared', { self_cleared: 300 }),
    // A report from people: no camera checks it.
    { ...order(17, 'illegal_parking', 'south', 'pole-2', 'resolved', resolvedOnce), source: 'open311' } as WorkOrder,
  ];

  it('counts verified closures and the reopen rate of the camera orders officers resolved, per team', () => {
    expect(verificationKpis(team)).toEqual({ verified: 3, resolvedByOfficer: 5, reopened: 2, reopenRate: 0.4 });
    const k = computeKpis(team);
    expect(k.byTeam.north!.verification).toEqual({ verified: 3, resolvedByOfficer: 3, reopened: 1, reopenRate: 1 / 3 });
    expect(k.byTeam.south!.verification).toEqual({ verified: 0, resolvedByOfficer: 2, reopened: 1, reopenRate: 0.5 });
  });

  it('a verified order is handled when the officer resolved it: SLA and discovery → resolve use that time', () => {
    const late = order(18, 'illegal_parking', 'north', 'pole-1', 'verified', { resolved: 30 * 60, verified: 45 * 60 });
    const g = computeKpis([late]).overall;
    expect(g).toMatchObject({ slaJudged: 1, slaMet: 1 });
    expect(g.discoveryToResolve).toEqual({ count: 1, medianSeconds: 1800, p90Seconds: 1800 });
  });
});

describe('KPIs by source', () => {
  it('splits orders by where they came from; a report no camera saw is in no camera group', () => {
    const reported = { ...order(8, 'illegal_parking', 'north', 'x', 'dispatched', { dispatched: 0 }), source: 'open311' as const, deviceId: null, cameraId: null, zoneId: null, eventIds: [] };
    const inspected = { ...order(9, 'obstruction', 'south', 'x', 'resolved', { dispatched: 0, accepted: 60, on_site: 120, resolved: 600 }), source: 'inspector' as const, deviceId: null, cameraId: null, zoneId: null, eventIds: [] };
    const k = computeKpis([...orders, reported, inspected]);
    expect(Object.keys(k.bySource)).toEqual(['camera', 'inspector', 'open311']);
    expect([k.bySource.camera.orders, k.bySource.open311.orders, k.bySource.inspector.orders]).toEqual([7, 1, 1]);
    expect(k.bySource.inspector).toMatchObject({ slaJudged: 1, slaMet: 1, discoveryToResolve: { count: 1, medianSeconds: 600 } });
    expect(Object.keys(k.byCamera)).toEqual(['pole-1/cam-1', 'pole-2/cam-1']);
    expect(k.overall.orders).toBe(9);
    expect(kpiReportSchema.parse(k)).toEqual(k);
  });
});

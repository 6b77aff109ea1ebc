import { describe, expect, it } from 'vitest';
import type { Report } from '../contract/index.js';
import { detection, evidenceRef, fakeJpeg } from '../center/ingest/test-fixtures.js';
import { reporterNotices, reportEffects } from './order-effects.js';
import { buildReportOrder, mergeCameraIntoReport, mergeReport, nearDistance, nearestMatch } from './report-orders.js';
import { applyTransition, type WorkOrder } from './work-order.js';

const T0 = '2026-12-05T08:00:00.000Z';
const at = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();
const SPOT = { lat: 32.06, long: 118.79 };
/** ~1.11 m per 0.00001° of latitude. */
const north = (m: number) => ({ lat: SPOT.lat + m / 111_195, long: SPOT.long });
const RULE = { radiusMeters: 50, windowMs: 60 * 60_000 };

const report = (over: Partial<Report> = {}): Report => ({
  id: 'R1', source: 'open311', clientId: 'hotline', description: 'Van on the crossing', location: SPOT, receivedAt: T0, evidenceIds: [], ...over,
});
const opened = (over: Partial<Report> = {}, id = 'WO1', confirmed = true): WorkOrder =>
  buildReportOrder({ report: report(over), type: 'illegal_parking', evidence: [], team: 'north', assignee: confirmed ? 'li' : null, confirmed, deadlineAt: at(40), nowIso: T0 }, id);

describe('a report opens an order', () => {
  it('without a camera, discovered when received, with the report and its photos', () => {
    const photo = { ...evidenceRef(fakeJpeg()), kind: 'report' as const };
    const o = buildReportOrder({ report: report({ plate: '苏A12345', evidenceIds: [photo.evidenceId] }), type: 'illegal_parking', evidence: [photo], team: 'north', assignee: null, confirmed: false, deadlineAt: at(40), nowIso: at(1) }, 'WO9');
    expect(o).toMatchObject({
      id: 'WO9', source: 'open311', state: 'pending_review', deviceId: null, cameraId: null, zoneId: null, eventIds: [], evidence: [photo], location: SPOT,
      discoveredAt: T0, createdAt: at(1), deadlineAt: at(40), plate: { text: '苏A12345', confidence: 1, readAt: T0 }, stateTimes: { pending_review: at(1) },
      audit: [{ at: at(1), by: 'open311:hotline', from: null, to: 'pending_review', note: 'reported; awaiting review' }],
    });
    expect(o.reports).toHaveLength(1);
  });
});

describe('de-dup of reports', () => {
  it('joins an open order of the type within the radius and window, not farther, later, closed or of another type', () => {
    const o = opened();
    const probe = { type: 'illegal_parking' as const, location: north(30), atMs: Date.parse(at(10)) };
    expect(nearDistance(o, probe, RULE)).toBeCloseTo(30, 0);
    expect(nearDistance(o, { ...probe, location: north(60) }, RULE)).toBeNull();
    expect(nearDistance(o, { ...probe, atMs: Date.parse(at(61)) }, RULE)).toBeNull();
    expect(nearDistance(o, { ...probe, type: 'street_vending' }, RULE)).toBeNull();
    expect(nearDistance(applyTransition(o, 'cancelled', 'x', T0), probe, RULE)).toBeNull();
    expect(nearDistance({ ...o, location: null }, probe, RULE)).toBeNull();
  });

  it('by plate when both name one: the same plate (however written) joins, another does not', () => {
    const o = opened({ plate: '苏A12345' });
    const probe = { type: 'illegal_parking' as const, location: north(5), atMs: Date.parse(T0) };
    expect(nearDistance(o, { ...probe, plate: '苏a-12345' }, RULE)).not.toBeNull();
    expect(nearDistance(o, { ...probe, plate: '苏B99999' }, RULE)).toBeNull();
    expect(nearDistance(o, probe, RULE)).not.toBeNull();
  });

  it('picks the nearest, ties to the oldest id', () => {
    const a = { ...opened({}, 'WO2'), location: north(20) };
    const b = { ...opened({}, 'WO3'), location: north(10) };
    const c = { ...opened({}, 'WO1'), location: north(10) };
    const probe = { type: 'illegal_parking' as const, location: SPOT, atMs: Date.parse(T0) };
    expect(nearestMatch([a, b, c], probe, RULE)?.id).toBe('WO1');
    expect(nearestMatch([a], { ...probe, location: north(200) }, RULE)).toBeNull();
  });

  it('a joining report is kept with its photos, once; state, team and deadline stay', () => {
    const o = opened();
    const photo = { ...evidenceRef(fakeJpeg()), kind: 'report' as const };
    const second = report({ id: 'R2', clientId: 'app', evidenceIds: [photo.evidenceId], plate: '苏A1' });
    const merged = mergeReport(o, second, [photo], at(5))!;
    expect(merged).toMatchObject({ state: 'dispatched', team: 'north', deadlineAt: at(40), updatedAt: at(5), evidence: [photo], plate: { text: '苏A1' } });
    expect(merged.reports.map((r) => r.id)).toEqual(['R1', 'R2']);
    expect(merged.audit.at(-1)).toEqual({ at: at(5), by: 'open311:app', from: 'dispatched', to: 'dispatched', note: 'report R2 joined' });
    expect(mergeReport(merged, second, [photo], at(6))).toBeNull();
  });

  it('a camera seeing a reported problem merges in: its device, event and photos; the source stays', () => {
    const o = opened();
    const d = detection('pole-7', 'cam-1', { discoveredAt: at(3), evidence: [evidenceRef(fakeJpeg())] });
    const merged = mergeCameraIntoReport(o, d, at(3))!;
    expect(merged).toMatchObject({ source: 'open311', deviceId: 'pole-7', cameraId: 'cam-1', zoneId: 'kerb-1', eventIds: [d.eventId], bbox: d.bbox, evidence: d.evidence });
    // One camera per order: a second camera's event does not take it over.
    expect(mergeCameraIntoReport(merged, detection('pole-8', 'cam-1'), at(4))).toBeNull();
  });
});

describe('reporter notices', () => {
  const kinds = (prev: WorkOrder | null, next: WorkOrder) => reporterNotices(prev, next).map((n) => (n.do === 'notice' ? `${n.audience}:${n.client}:${n.seq}` : n.do));

  it('each Open311 client of the order hears of its opening, moves, joins and camera merges, once per change', () => {
    const o = opened();
    expect(kinds(null, o)).toEqual(['reporter:hotline:hotline.1.1.0']);
    const joined = mergeReport(o, report({ id: 'R2', clientId: 'app' }), [], at(1))!;
    expect(kinds(o, joined)).toEqual(['reporter:hotline:hotline.2.2.0', 'reporter:app:app.2.2.0']);
    const accepted = applyTransition(joined, 'accepted', 'li', at(2));
    expect(kinds(joined, accepted)).toEqual(['reporter:hotline:hotline.3.2.0', 'reporter:app:app.3.2.0']);
    const camera = mergeCameraIntoReport(accepted, detection('pole-7', 'cam-1'), at(3))!;
    expect(kinds(accepted, camera)).toEqual(['reporter:hotline:hotline.3.2.1', 'reporter:app:app.3.2.1']);
  });

  it('nothing for changes the public does not see, inspectors, or camera orders', () => {
    const o = opened();
    expect(reporterNotices(o, { ...o, sla: 'yellow', updatedAt: at(20) })).toEqual([]);
    expect(reporterNotices(null, opened({ source: 'inspector', clientId: undefined, user: 'ivy' }))).toEqual([]);
    expect(reporterNotices(null, { ...o, reports: [] })).toEqual([]);
  });

  it('a report opens its order as a detection does: timers, and the team told when dispatched; a join causes nothing for the team', () => {
    const sla = { targetMinutes: 40, yellowAt: 0.5, redAt: 1 };
    expect(reportEffects(sla)(null, opened()).map((e) => e.do)).toEqual(['sla', 'notice']);
    expect(reportEffects(sla)(null, opened({}, 'WO1', false)).map((e) => e.do)).toEqual(['sla']);
    expect(reportEffects(sla)(opened(), opened())).toEqual([]);
  });
});

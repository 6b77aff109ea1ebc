import { describe, expect, it } from 'vitest';
import type { DetectionMessage } from '../contract/index.js';
import { appendEvidence, bestMatch, boxIou, matchesOpenOrder, matchReason, mergeDetection, normalisePlate } from './dedupe.js';
import type { WorkOrder } from './work-order.js';

const T0 = '2026-11-26T08:00:00.000Z';
const ev = (n: number) => ({
  evidenceId: `01JD00000000000000000000E${n}`, sha256: 'a'.repeat(64), capturedAt: T0, contentType: 'image/jpeg' as const, bytes: 100, kind: 'full' as const,
});

function det(over: Partial<DetectionMessage> = {}): DetectionMessage {
  return {
    v: 1, eventId: '01JD00000000000000000000A1', seq: 0, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking',
    state: 'started', label: 'car', confidence: 0.7, bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 },
    firstSeenAt: T0, discoveredAt: T0, sentAt: T0, evidence: [], ...over,
  };
}

function order(over: Partial<WorkOrder> = {}): WorkOrder {
  return {
    id: 'WO1', type: 'illegal_parking', state: 'dispatched', deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb', team: 't', assignee: null,
    location: null, eventIds: ['01JD00000000000000000000A1'], evidence: [ev(1)], bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 }, label: 'car',
    confidence: 0.7, plate: null, discoveredAt: T0, createdAt: T0, updatedAt: T0, deadlineAt: '2026-11-26T08:40:00.000Z',
    stateTimes: { dispatched: T0 }, sla: 'green', edgeEnded: null, rejection: null, audit: [], source: 'camera', reports: [], ...over,
  };
}

describe('boxIou', () => {
  it('is 1 for the same box, 0 for disjoint or touching boxes', () => {
    const a = { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 };
    expect(boxIou(a, a)).toBe(1);
    expect(boxIou(a, { x1: 0.5, y1: 0.5, x2: 0.6, y2: 0.6 })).toBe(0);
    expect(boxIou(a, { x1: 0.3, y1: 0.1, x2: 0.5, y2: 0.3 })).toBe(0);
  });
  it('matches a hand computation', () => {
    // 0.2×0.2 boxes shifted by 0.1 in x: intersection 0.1×0.2 = 0.02, union 0.04+0.04-0.02 = 0.06.
    expect(boxIou({ x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 }, { x1: 0.2, y1: 0.1, x2: 0.4, y2: 0.3 })).toBeCloseTo(1 / 3, 12);
    // One box inside the other: 0.01 / 0.04.
    expect(boxIou({ x1: 0, y1: 0, x2: 0.2, y2: 0.2 }, { x1: 0.05, y1: 0.05, x2: 0.15, y2: 0.15 })).toBeCloseTo(0.25, 12);
  });
  it('is 0 for a degenerate box', () => {
    expect(boxIou({ x1: 0.2, y1: 0.2, x2: 0.2, y2: 0.2 }, { x1: 0.2, y1: 0.2, x2: 0.2, y2: 0.2 })).toBe(0);
  });
});

describe('matchesOpenOrder', () => {
  const H = 3_600_000;
  it('merges by IoU at or above the threshold', () => {
    expect(matchesOpenOrder(order(), det({ eventId: '01JD00000000000000000000B1', bbox: { x1: 0.11, y1: 0.1, x2: 0.31, y2: 0.3 } }), 0.5, H)).toBe(true);
    expect(matchReason(order(), det({ eventId: '01JD00000000000000000000B1', bbox: { x1: 0.2, y1: 0.1, x2: 0.4, y2: 0.3 } }), 0.5, H)).toBeNull();
    expect(matchReason(order(), det({ eventId: '01JD00000000000000000000B1', bbox: { x1: 0.2, y1: 0.1, x2: 0.4, y2: 0.3 } }), 0.33, H)).toBe('iou');
  });
  it('merges at exactly the threshold', () => {
    const half = det({ eventId: '01JD00000000000000000000B1', bbox: { x1: 0, y1: 0, x2: 0.25, y2: 0.25 } });
    const o = order({ bbox: { x1: 0, y1: 0, x2: 0.5, y2: 0.25 } });
    expect(boxIou(o.bbox!, half.bbox!)).toBe(0.5);
    expect(matchReason(o, half, 0.5, H)).toBe('iou');
    expect(matchReason(o, half, 0.5 + 2 ** -20, H)).toBeNull();
  });
  it('merges by eventId even when the box moved away', () => {
    expect(matchReason(order(), det({ bbox: { x1: 0.7, y1: 0.7, x2: 0.9, y2: 0.9 } }), 0.5, H)).toBe('event');
  });
  it('needs the same device, camera, zone and type, and an open order', () => {
    expect(matchesOpenOrder(order(), det({ zoneId: 'other' }), 0.5, H)).toBe(false);
    expect(matchesOpenOrder(order(), det({ cameraId: 'cam-2' }), 0.5, H)).toBe(false);
    expect(matchesOpenOrder(order(), det({ deviceId: 'pole-2' }), 0.5, H)).toBe(false);
    expect(matchesOpenOrder(order(), det({ type: 'street_vending' }), 0.5, H)).toBe(false);
    expect(matchesOpenOrder(order({ state: 'resolved' }), det(), 0.5, H)).toBe(false);
    expect(matchesOpenOrder(order({ state: 'pending_review' }), det(), 0.5, H)).toBe(true);
  });
  it('merges the same plate within the window though the boxes do not overlap (issue 4)', () => {
    const plate = { text: 'AB-123 C', confidence: 0.9, readAt: T0 };
    const o = order({ plate });
    const far = { x1: 0.7, y1: 0.7, x2: 0.9, y2: 0.9 };
    const later = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
    const d = (at: string, text = 'ab123c') => det({ eventId: '01JD00000000000000000000B1', bbox: far, discoveredAt: at, plate: { text, confidence: 0.8, readAt: at } });
    expect(matchReason(o, d(later(H)), 0.5, H)).toBe('plate');
    expect(matchReason(o, d(later(H + 1)), 0.5, H)).toBeNull();
    expect(matchReason(o, d(later(10_000), 'XY999'), 0.5, H)).toBeNull();
    expect(matchReason(order(), d(later(10_000)), 0.5, H)).toBeNull();
  });
  it('does not match sensor-only detections (no box) by IoU', () => {
    expect(matchesOpenOrder(order({ bbox: null }), det({ eventId: '01JD00000000000000000000B1', bbox: null }), 0, H)).toBe(false);
  });
});

describe('bestMatch', () => {
  it('prefers the eventId holder, then the higher IoU, then the smaller id', () => {
    const d = det({ eventId: '01JD00000000000000000000C1', bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 } });
    const exact = order({ id: 'B', eventIds: ['x'] });
    const partial = order({ id: 'A', eventIds: ['y'], bbox: { x1: 0.12, y1: 0.1, x2: 0.32, y2: 0.3 } });
    const holder = order({ id: 'C', eventIds: [d.eventId], bbox: { x1: 0.6, y1: 0.6, x2: 0.7, y2: 0.7 } });
    expect(bestMatch([partial, exact], d, 0.5, 0)?.id).toBe('B');
    expect(bestMatch([partial, exact, holder], d, 0.5, 0)?.id).toBe('C');
    expect(bestMatch([order({ id: 'Z', eventIds: ['z'] }), order({ id: 'Y', eventIds: ['y'] })], d, 0.5, 0)?.id).toBe('Y');
    expect(bestMatch([], d, 0.5, 0)).toBeNull();
  });
});

describe('mergeDetection', () => {
  const now = '2026-11-26T08:05:00.000Z';
  it('adds the eventId and new evidence, keeps the max confidence, takes the latest box and label', () => {
    const d = det({ eventId: '01JD00000000000000000000B1', evidence: [ev(1), ev(2)], confidence: 0.5, label: 'truck', bbox: { x1: 0.12, y1: 0.1, x2: 0.32, y2: 0.3 } });
    const m = mergeDetection(order(), d, now)!;
    expect(m.eventIds).toEqual(['01JD00000000000000000000A1', '01JD00000000000000000000B1']);
    expect(m.evidence.map((e) => e.evidenceId)).toEqual([ev(1).evidenceId, ev(2).evidenceId]);
    expect(m.confidence).toBe(0.7);
    expect(m.label).toBe('truck');
    expect(m.bbox).toEqual(d.bbox);
    expect(m.updatedAt).toBe(now);
    expect(m.state).toBe('dispatched');
    expect(mergeDetection(order(), det({ confidence: 0.95 }), now)!.confidence).toBe(0.95);
  });
  it('a new event drops the edge\'s earlier end (seen again); a late message of a known event keeps it', () => {
    const gone = order({ edgeEnded: { reason: 'left', at: T0 } });
    expect(mergeDetection(gone, det({ eventId: '01JD00000000000000000000B1' }), now)!.edgeEnded).toBeNull();
    expect(mergeDetection(gone, det({ evidence: [ev(1), ev(2)] }), now)!.edgeEnded).toEqual({ reason: 'left', at: T0 });
  });
  it('returns null for a redelivered copy (nothing to write)', () => {
    expect(mergeDetection(order(), det({ evidence: [ev(1)] }), now)).toBeNull();
  });
  it('keeps the box and label for a sensor-only update, and the more confident plate', () => {
    const plate = { text: 'AB123', confidence: 0.9, readAt: T0 };
    const m = mergeDetection(order({ plate }), det({ bbox: null, label: 'sensor', confidence: 0.9, plate: { text: 'A8123', confidence: 0.5, readAt: now } }), now)!;
    expect(m.bbox).toEqual(order().bbox);
    expect(m.label).toBe('car');
    expect(m.plate).toEqual(plate);
    expect(mergeDetection(order({ plate }), det({ plate: { text: 'AB123', confidence: 0.95, readAt: now } }), now)!.plate?.confidence).toBe(0.95);
  });
});

describe('helpers', () => {
  it('normalises plates', () => {
    expect(normalisePlate(' ab-12 3c ')).toBe('AB123C');
    expect(normalisePlate('京A·12345')).toBe('京A12345');
  });
  it('appends evidence by evidenceId', () => {
    expect(appendEvidence([ev(1)], [ev(2), ev(1), ev(2)]).map((e) => e.evidenceId)).toEqual([ev(1).evidenceId, ev(2).evidenceId]);
  });
});

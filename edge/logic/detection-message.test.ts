/** Lifecycle events → wire detection messages that satisfy the contract. */
import { describe, expect, it } from 'vitest';
import { detectionMessage as detectionSchema, type EvidenceRef } from '../../contract/index.js';
import { detectionMessage, normalise, type OpenViolation } from './detection-message.js';
import { ViolationLifecycle } from './lifecycle.js';
import type { FrameSize, LifecycleEvent, ViolationCandidate } from './violation.js';

const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const FRAME: FrameSize = { width: 768, height: 576 };
const EVENT_ID = '01KB0000000000000000000000';
const CTX = { deviceId: 'pole-0001', cameraId: 'cam-1', frame: FRAME };

const car = (over: Partial<ViolationCandidate> = {}): ViolationCandidate => ({
  key: 'kerb/t1',
  zoneId: 'kerb',
  type: 'illegal_parking',
  label: 'car',
  confidence: 0.81234,
  box: { x1: 614.4, y1: 28.8, x2: 729.6, y2: 115.2 },
  subjectTrackIds: ['t1'],
  dwellStartMs: T0,
  firstSeenMs: T0 - 4_000,
  ...over,
});

const event = (state: LifecycleEvent['state'], over: Partial<LifecycleEvent> = {}): LifecycleEvent => ({
  state,
  eventId: EVENT_ID,
  candidate: car(),
  firstSeenAtMs: T0 - 4_000,
  discoveredAtMs: T0 + 30_000,
  captureEvidence: state === 'started',
  ...over,
});

const ref = (n: number): EvidenceRef => ({
  evidenceId: `01KB00000000000000000000${String(n).padStart(2, '0')}`,
  sha256: String(n).repeat(64).slice(0, 64).replace(/[^0-9]/g, '0'),
  capturedAt: iso(T0 + 30_000 + n),
  contentType: 'image/jpeg',
  bytes: 1000 + n,
  kind: 'full',
});

describe('detectionMessage', () => {
  it('started: seq 0, every field in place, normalised bbox, valid against the contract', () => {
    const open: OpenViolation = { refs: [ref(1)], seq: 0 };
    const msg = detectionMessage(event('started'), open, { ...CTX, sentAtMs: T0 + 30_100 });
    expect(msg).toEqual({
      v: 1,
      eventId: EVENT_ID,
      seq: 0,
      deviceId: 'pole-0001',
      cameraId: 'cam-1',
      zoneId: 'kerb',
      type: 'illegal_parking',
      state: 'started',
      label: 'car',
      confidence: 0.812,
      bbox: { x1: 0.8, y1: 0.05, x2: 0.95, y2: 0.2 },
      firstSeenAt: iso(T0 - 4_000),
      discoveredAt: iso(T0 + 30_000),
      sentAt: iso(T0 + 30_100),
      evidence: [ref(1)],
    });
    expect(detectionSchema.parse(msg)).toEqual(msg);
    expect(open.seq).toBe(1);
  });

  it('seq increments with each message of one violation; evidence is a snapshot', () => {
    const open: OpenViolation = { refs: [], seq: 0 };
    const m0 = detectionMessage(event('started'), open, { ...CTX, sentAtMs: T0 + 30_000 });
    open.refs.push(ref(1));
    const m1 = detectionMessage(event('updated'), open, { ...CTX, sentAtMs: T0 + 60_000 });
    open.refs.push(ref(2));
    const m2 = detectionMessage(event('updated'), open, { ...CTX, sentAtMs: T0 + 90_000 });
    expect([m0.seq, m1.seq, m2.seq]).toEqual([0, 1, 2]);
    // Every message lists all evidence so far; later captures do not change messages already built.
    expect(m0.evidence).toEqual([]);
    expect(m1.evidence).toEqual([ref(1)]);
    expect(m2.evidence).toEqual([ref(1), ref(2)]);
    for (const m of [m0, m1, m2]) expect(detectionSchema.safeParse(m).success).toBe(true);
    expect(m1).not.toHaveProperty('endedAt');
    expect(m1).not.toHaveProperty('reason');
    expect(m1).not.toHaveProperty('stayedSeconds');
  });

  it('ended: endedAt, reason and stayedSeconds (to 0.1 s)', () => {
    const open: OpenViolation = { refs: [ref(1)], seq: 3 };
    const msg = detectionMessage(
      event('ended', { endedAtMs: T0 + 95_000, reason: 'left', stayedSeconds: 94.26 }),
      open,
      { ...CTX, sentAtMs: T0 + 95_050 },
    );
    expect(msg).toMatchObject({
      seq: 3, state: 'ended', endedAt: iso(T0 + 95_000), reason: 'left', stayedSeconds: 94.3, sentAt: iso(T0 + 95_050),
    });
    expect(detectionSchema.parse(msg)).toEqual(msg);
    expect(open.seq).toBe(4);
  });

  it('ended without an end time or reason falls back to sentAt and left', () => {
    const msg = detectionMessage(event('ended'), { refs: [], seq: 1 }, { ...CTX, sentAtMs: T0 + 70_000 });
    expect(msg).toMatchObject({ endedAt: iso(T0 + 70_000), reason: 'left' });
    expect(msg).not.toHaveProperty('stayedSeconds');
    expect(detectionSchema.safeParse(msg).success).toBe(true);
  });

  it.each(['source_ended', 'camera_lost'] as const)('ended with reason %s keeps it', (reason) => {
    const msg = detectionMessage(event('ended', { endedAtMs: T0 + 1, reason, stayedSeconds: 0 }), { refs: [], seq: 1 }, { ...CTX, sentAtMs: T0 + 2 });
    expect(msg.reason).toBe(reason);
    expect(msg.stayedSeconds).toBe(0);
    expect(detectionSchema.safeParse(msg).success).toBe(true);
  });

  it('clamps a box that reaches past the frame into 0..1', () => {
    const ev = event('started', { candidate: car({ box: { x1: -12, y1: 20, x2: 790, y2: 600 } }) });
    const msg = detectionMessage(ev, { refs: [], seq: 0 }, { ...CTX, sentAtMs: T0 });
    expect(msg.bbox).toEqual({ x1: 0, y1: 0.035, x2: 1, y2: 1 });
    expect(detectionSchema.safeParse(msg).success).toBe(true);
  });

  it('no box (sensor-only) or no frame → bbox null; sensor bays listed with their since', () => {
    const sensorOnly = car({ key: 'side/bay:bay-7', zoneId: 'side', label: 'sensor', confidence: 0.5, box: null, subjectTrackIds: [], sensorBayIds: ['bay-7'], dwellStartMs: T0, firstSeenMs: T0 });
    const msg = detectionMessage(event('started', { candidate: sensorOnly, firstSeenAtMs: T0 }), { refs: [], seq: 0 }, { ...CTX, cameraId: 'bays', frame: null, sentAtMs: T0 + 2_000 });
    expect(msg.bbox).toBeNull();
    expect(msg.label).toBe('sensor');
    expect(msg.sensors).toEqual([{ sensorId: 'bay-7', occupied: true, since: iso(T0) }]);
    expect(detectionSchema.safeParse(msg).success).toBe(true);

    const noFrame = detectionMessage(event('started'), { refs: [], seq: 0 }, { ...CTX, frame: null, sentAtMs: T0 });
    expect(noFrame.bbox).toBeNull();
    expect(noFrame).not.toHaveProperty('sensors');
  });

  it('a camera candidate corroborated by bays lists every bay', () => {
    const ev = event('started', { candidate: car({ sensorBayIds: ['bay-1', 'bay-2'] }) });
    const msg = detectionMessage(ev, { refs: [], seq: 0 }, { ...CTX, sentAtMs: T0 });
    expect(msg.sensors?.map((s) => s.sensorId)).toEqual(['bay-1', 'bay-2']);
    expect(detectionSchema.safeParse(msg).success).toBe(true);
  });

  it('vending labels and confidence rounding', () => {
    const ev = event('started', {
      candidate: car({ key: 'plaza/s1', zoneId: 'plaza', type: 'street_vending', label: 'umbrella+chair', confidence: 0.99951 }),
    });
    const msg = detectionMessage(ev, { refs: [], seq: 0 }, { ...CTX, sentAtMs: T0 });
    expect(msg).toMatchObject({ type: 'street_vending', label: 'umbrella+chair', confidence: 1, zoneId: 'plaza' });
    expect(detectionSchema.safeParse(msg).success).toBe(true);
  });

  it('the events of a real ViolationLifecycle make a valid started → updated → ended sequence', () => {
    const lc = new ViolationLifecycle();
    const timing = () => ({ updateSeconds: 30, evidenceRepeatSeconds: 60 });
    const open: OpenViolation = { refs: [], seq: 0 };
    const msgs = [];
    for (let s = 0; s <= 100; s += 10) {
      const candidates = s <= 90 ? [car({ box: { x1: 600 + s, y1: 30, x2: 720 + s, y2: 110 } })] : [];
      for (const ev of lc.step(T0 + s * 1000, candidates, timing)) msgs.push(detectionMessage(ev, open, { ...CTX, sentAtMs: T0 + s * 1000 }));
    }
    expect(msgs.map((m) => `${m.state}:${m.seq}`)).toEqual(['started:0', 'updated:1', 'updated:2', 'updated:3', 'ended:4']);
    for (const m of msgs) expect(detectionSchema.parse(m)).toEqual(m);
    expect(new Set(msgs.map((m) => m.eventId)).size).toBe(1);
    const ended = msgs.at(-1)!;
    expect(ended).toMatchObject({ endedAt: iso(T0 + 100_000), reason: 'left', stayedSeconds: 94, firstSeenAt: iso(T0 - 4_000) });
    // The bbox follows the latest candidate, clamped at the right edge.
    expect(msgs[1].bbox).toEqual(normalise({ x1: 630, y1: 30, x2: 750, y2: 110 }, FRAME));
    expect(msgs[3].bbox!.x2).toBe(1);
  });
});

describe('normalise', () => {
  it('divides by the frame size and rounds to 3 decimals', () => {
    expect(normalise({ x1: 0, y1: 0, x2: 768, y2: 576 }, FRAME)).toEqual({ x1: 0, y1: 0, x2: 1, y2: 1 });
    expect(normalise({ x1: 100, y1: 100, x2: 200, y2: 300 }, FRAME)).toEqual({ x1: 0.13, y1: 0.174, x2: 0.26, y2: 0.521 });
    expect(normalise({ x1: -1e6, y1: -0.4, x2: 1e6, y2: 577 }, FRAME)).toEqual({ x1: 0, y1: 0, x2: 1, y2: 1 });
  });
});

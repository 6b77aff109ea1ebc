import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { ViolationLifecycle } from './lifecycle.js';
import type { LifecycleEvent, ViolationCandidate, ZoneTiming } from './violation.js';

const T0 = 1_700_000_000_000;
const timing: ZoneTiming = { updateSeconds: 30, evidenceRepeatSeconds: 45 };
const settings = () => timing;

function cand(key: string, over: Partial<ViolationCandidate> = {}): ViolationCandidate {
  const [zoneId, trackId] = key.split('/');
  return {
    key,
    zoneId,
    type: 'illegal_parking',
    label: 'car',
    confidence: 0.7,
    box: { x1: 0, y1: 0, x2: 10, y2: 10 },
    subjectTrackIds: [trackId],
    dwellStartMs: T0 - 300_000,
    firstSeenMs: T0 - 310_000,
    ...over,
  };
}

function counterIds() {
  let n = 0;
  return (tsMs: number) => `ev${++n}@${tsMs - T0}`;
}

type Timed = LifecycleEvent & { s: number };

/** Steps once a second from `fromS` to `toS` (inclusive) with the candidates `at(s)` gives; events tagged with their second. */
function run(lc: ViolationLifecycle, fromS: number, toS: number, at: (s: number) => ViolationCandidate[]): Timed[] {
  const events: Timed[] = [];
  for (let s = fromS; s <= toS; s++) events.push(...lc.step(T0 + s * 1000, at(s), settings).map((e) => ({ ...e, s })));
  return events;
}

describe('ViolationLifecycle', () => {
  it('starts once with evidence; the default eventId is a ULID of the discovery time', () => {
    const lc = new ViolationLifecycle();
    const events = run(lc, 0, 10, () => [cand('kerb/T1')]);
    expect(events).toHaveLength(1);
    const [e] = events;
    expect(e).toMatchObject({ state: 'started', captureEvidence: true, discoveredAtMs: T0, firstSeenAtMs: T0 - 310_000 });
    expect(e.endedAtMs).toBeUndefined();
    expect(e.reason).toBeUndefined();
    expect(isValid(e.eventId)).toBe(true);
    expect(decodeTime(e.eventId)).toBe(T0);
    expect(lc.openKeys()).toEqual(['kerb/T1']);
  });

  it('throttles updates to updateSeconds; the evidence repeat forces one update; exactly two captures', () => {
    const lc = new ViolationLifecycle({ newEventId: counterIds() });
    const events = run(lc, 0, 200, (s) => [cand('kerb/T1', { confidence: 0.5 + s / 1000 })]);
    expect(events.map((e) => [e.s, e.state, e.captureEvidence])).toEqual([
      [0, 'started', true],
      [30, 'updated', false],
      [45, 'updated', true], // evidenceRepeatSeconds after started, before updateSeconds since the last update
      [75, 'updated', false],
      [105, 'updated', false],
      [135, 'updated', false],
      [165, 'updated', false],
      [195, 'updated', false],
    ]);
    expect(events.every((e) => e.eventId === 'ev1@0' && e.discoveredAtMs === T0)).toBe(true);
    // updates carry the latest candidate
    expect(events[3].candidate.confidence).toBeCloseTo(0.575);
  });

  it('takes the repeat together with a due update when they coincide', () => {
    const lc = new ViolationLifecycle({ newEventId: counterIds() });
    const events: Timed[] = [];
    for (let s = 0; s <= 130; s++) {
      events.push(...lc.step(T0 + s * 1000, [cand('z/T1')], () => ({ updateSeconds: 30, evidenceRepeatSeconds: 60 })).map((e) => ({ ...e, s })));
    }
    expect(events.map((e) => [e.s, e.captureEvidence])).toEqual([
      [0, true],
      [30, false],
      [60, true],
      [90, false],
      [120, false],
    ]);
  });

  it('ends with reason left and how long it stayed when the key is gone', () => {
    const lc = new ViolationLifecycle({ newEventId: counterIds() });
    const firstSeenMs = T0 - 10_000;
    const events = run(lc, 0, 60, (s) => (s <= 50 ? [cand('kerb/T1', { firstSeenMs, label: s < 40 ? 'car' : 'truck' })] : []));
    const ended = events.filter((e) => e.state === 'ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({
      s: 51,
      eventId: 'ev1@0',
      endedAtMs: T0 + 51_000,
      reason: 'left',
      stayedSeconds: 60, // last candidate at +50 s, first seen at −10 s
      captureEvidence: false,
      firstSeenAtMs: firstSeenMs,
    });
    expect(ended[0].candidate.label).toBe('truck');
    expect(lc.openKeys()).toEqual([]);
  });

  it('a new vehicle after the first one left is a new violation; the same key coming back is too', () => {
    const lc = new ViolationLifecycle({ newEventId: counterIds() });
    const events = run(lc, 0, 100, (s) => {
      if (s < 30) return [cand('kerb/T1')];
      if (s >= 40 && s < 70) return [cand('kerb/T7')];
      if (s >= 80) return [cand('kerb/T7')];
      return [];
    });
    expect(events.filter((e) => e.state !== 'updated').map((e) => [e.s, e.state, e.candidate.key, e.eventId])).toEqual([
      [0, 'started', 'kerb/T1', 'ev1@0'],
      [30, 'ended', 'kerb/T1', 'ev1@0'],
      [40, 'started', 'kerb/T7', 'ev2@40000'],
      [70, 'ended', 'kerb/T7', 'ev2@40000'],
      [80, 'started', 'kerb/T7', 'ev3@80000'],
    ]);
  });

  it('runs independent violations side by side and ignores duplicate keys in one step', () => {
    const lc = new ViolationLifecycle({ newEventId: counterIds() });
    const events = run(lc, 0, 5, (s) => (s < 3 ? [cand('a/T1'), cand('a/T1', { label: 'dup' }), cand('b/T2')] : [cand('b/T2')]));
    expect(events.map((e) => [e.s, e.state, e.candidate.key, e.candidate.label])).toEqual([
      [0, 'started', 'a/T1', 'car'],
      [0, 'started', 'b/T2', 'car'],
      [3, 'ended', 'a/T1', 'car'],
    ]);
  });

  it('uses the zone settings of each candidate', () => {
    const lc = new ViolationLifecycle({ newEventId: counterIds() });
    const perZone = (z: string): ZoneTiming => (z === 'fast' ? { updateSeconds: 5, evidenceRepeatSeconds: 100 } : timing);
    const out: Timed[] = [];
    for (let s = 0; s <= 20; s++) out.push(...lc.step(T0 + s * 1000, [cand('fast/T1'), cand('slow/T2')], perZone).map((e) => ({ ...e, s })));
    expect(out.filter((e) => e.state === 'updated').map((e) => [e.s, e.candidate.zoneId])).toEqual([
      [5, 'fast'],
      [10, 'fast'],
      [15, 'fast'],
      [20, 'fast'],
    ]);
  });

  it('endAll ends everything with the given reason and forgets it', () => {
    for (const reason of ['source_ended', 'camera_lost'] as const) {
      const lc = new ViolationLifecycle({ newEventId: counterIds() });
      run(lc, 0, 20, (s) => (s <= 10 ? [cand('a/T1', { firstSeenMs: T0 }), cand('b/T2', { firstSeenMs: T0 })] : [cand('b/T2', { firstSeenMs: T0 })]));
      const ended = lc.endAll(T0 + 25_000, reason);
      expect(ended.map((e) => [e.state, e.candidate.key, e.reason, e.endedAtMs, e.stayedSeconds])).toEqual([
        ['ended', 'b/T2', reason, T0 + 25_000, 20], // last a candidate at +20 s
      ]);
      expect(lc.openKeys()).toEqual([]);
      expect(lc.endAll(T0 + 26_000, reason)).toEqual([]);
      // after a restart the same key is a new violation
      const again = lc.step(T0 + 30_000, [cand('b/T2')], settings);
      expect(again.map((e) => [e.state, e.eventId])).toEqual([['started', 'ev3@30000']]);
    }
  });
});

describe('leave grace', () => {
  it('rides out a short gap of the candidate and ends as left only after the grace period', () => {
    const lc = new ViolationLifecycle({ newEventId: (t) => `ev@${t}` });
    const timing = () => ({ updateSeconds: 1000, evidenceRepeatSeconds: 1000, leaveGraceSeconds: 5 });
    const cand = { key: 'kerb/T1', zoneId: 'kerb', type: 'illegal_parking' as const, label: 'car', confidence: 0.8, box: { x1: 0, y1: 0, x2: 10, y2: 10 }, subjectTrackIds: ['T1'], dwellStartMs: 0, firstSeenMs: 0 };
    expect(lc.step(0, [cand], timing).map((e) => e.state)).toEqual(['started']);
    expect(lc.step(4_000, [], timing)).toEqual([]);
    expect(lc.step(4_500, [cand], timing)).toEqual([]); // back within the grace: same violation, no message
    expect(lc.step(9_000, [], timing)).toEqual([]);
    const ended = lc.step(9_500, [], timing);
    expect(ended.map((e) => [e.state, e.reason, e.eventId])).toEqual([['ended', 'left', 'ev@0']]);
  });

  it('a pause (hold) does not count towards the grace: the violation survives a gap right after it', () => {
    const lc = new ViolationLifecycle({ newEventId: (t) => `ev@${t}` });
    const timing = () => ({ updateSeconds: 1000, evidenceRepeatSeconds: 1000, leaveGraceSeconds: 5 });
    const cand = { key: 'kerb/T1', zoneId: 'kerb', type: 'illegal_parking' as const, label: 'car', confidence: 0.8, box: { x1: 0, y1: 0, x2: 10, y2: 10 }, subjectTrackIds: ['T1'], dwellStartMs: 0, firstSeenMs: 0 };
    lc.step(0, [cand], timing);
    for (let t = 1_000; t <= 20_000; t += 1_000) lc.hold(t);
    expect(lc.step(21_000, [], timing)).toEqual([]); // 1 s after the pause, not 21 s after the last sighting
    expect(lc.step(25_500, [], timing).map((e) => e.state)).toEqual(['ended']);
  });
});

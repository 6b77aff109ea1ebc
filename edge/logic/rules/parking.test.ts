import { describe, expect, it } from 'vitest';
import type { PixelBox } from '../../../detector/types.js';
import { noParkingZoneSchema, sensorBaySchema } from '../../config.js';
import { Tracker } from '../tracker.js';
import type { Track } from '../violation.js';
import { parkingCandidates } from './parking.js';
import { corroborate, sensorOnlyCandidates } from './sensors.js';
import type { RuleContext } from './shared.js';
import { FRAME, kerbZone, T0 } from '../rule-test-fixtures.js';

const zone = kerbZone(300);
const IN_ZONE: PixelBox = { x1: 550, y1: 300, x2: 790, y2: 460 };

function track(over: Partial<Track> = {}): Track {
  return {
    id: 'T1',
    label: 'car',
    classGroup: 'vehicle',
    labelVotes: { car: 15 },
    box: IN_ZONE,
    score: 0.6,
    velocity: { x: 0, y: 0 },
    firstSeenMs: T0 - 10_000,
    lastSeenMs: T0,
    hits: 50,
    confirmed: true,
    matched: true,
    stationary: true,
    stationarySinceMs: T0,
    ...over,
  };
}

function ctx(tsMs: number, over: Partial<RuleContext> = {}): RuleContext {
  return { tsMs, frame: FRAME, timeZone: 'UTC', cameraId: 'cam1', ...over };
}

/** The candidate of the one parked car T1, stopped at T0, of the given type. */
const parkedCar = (type: 'illegal_parking' | 'overstay') => ({
  key: 'kerb/T1',
  zoneId: 'kerb',
  type,
  label: 'car',
  confidence: 0.6,
  box: IN_ZONE,
  subjectTrackIds: ['T1'],
  dwellStartMs: T0,
  firstSeenMs: T0 - 10_000,
});

describe('parkingCandidates', () => {
  it('raises a parked car exactly when its dwell is reached', () => {
    expect(parkingCandidates(zone, [track()], ctx(T0 + 299_999))).toEqual([]);
    expect(parkingCandidates(zone, [track()], ctx(T0 + 300_000))).toEqual([parkedCar('illegal_parking')]);
  });

  it('skips a vehicle waiting in a queue, and raises it once it is no longer queued', () => {
    const ts = T0 + 3_600_000;
    expect(parkingCandidates(zone, [track()], ctx(ts, { queuedTrackIds: new Set(['T1']) }))).toEqual([]);
    expect(parkingCandidates(zone, [track()], ctx(ts, { queuedTrackIds: new Set(['T2']) }))).toEqual([parkedCar('illegal_parking')]);
  });

  it('ignores moving, unconfirmed, low-score, non-vehicle and out-of-zone tracks', () => {
    const ts = T0 + 3_600_000;
    const skipped = [
      track({ stationary: false, stationarySinceMs: null }),
      track({ confirmed: false }),
      track({ score: 0.34 }),
      track({ label: 'person', classGroup: 'person', labelVotes: { person: 15 } }),
      track({ box: { x1: 100, y1: 300, x2: 340, y2: 460 } }), // left of the kerb zone
      track({ box: { x1: 550, y1: 50, x2: 790, y2: 200 } }), // above it
    ];
    for (const t of skipped) expect(parkingCandidates(zone, [t], ctx(ts))).toEqual([]);
    expect(parkingCandidates(zone, [...skipped, track({ id: 'T9' })], ctx(ts)).map((c) => c.key)).toEqual(['kerb/T9']);
  });

  it('never raises a car that keeps moving in the zone, however long', () => {
    const tr = new Tracker({ maxGapSeconds: 10, iouThreshold: 0.3, stationaryTolerance: 0.15, stationarySeconds: 5 });
    const short = { ...zone, dwellSeconds: 20 };
    let sawTrack = false;
    for (let i = 0; i < 6000; i++) {
      // back and forth along the kerb at 50 px/s, 10 fps, for 10 minutes
      const phase = (i % 160) / 80;
      const x = 450 + 200 * (phase <= 1 ? phase : 2 - phase);
      const tracks = tr.update(T0 + i * 100, [{ box: { x1: x, y1: 300, x2: x + 240, y2: 460 }, classId: 2, label: 'car', score: 0.9 }], FRAME);
      sawTrack ||= tracks.length === 1;
      expect(parkingCandidates(short, tracks, ctx(T0 + i * 100))).toEqual([]);
    }
    expect(sawTrack).toBe(true);
    expect(tr.allTracks()).toHaveLength(1);
  });

  it('is group-aware: a van flipping car/truck counts for a truck-only zone', () => {
    const trucksOnly = { ...zone, vehicleClasses: ['truck'] };
    const ts = T0 + 300_000;
    expect(parkingCandidates(trucksOnly, [track({ labelVotes: { car: 9, truck: 6 } })], ctx(ts))).toHaveLength(1);
    expect(parkingCandidates(trucksOnly, [track({ labelVotes: { car: 14, truck: 1 } })], ctx(ts))).toEqual([]);
  });

  it('only applies while the schedule is active', () => {
    const nights = { ...zone, schedule: [{ days: ['mon' as const], from: '22:00', to: '06:00' }] };
    const noon = T0 + 300_000; // Monday 12:05
    expect(parkingCandidates(nights, [track()], ctx(noon))).toEqual([]);
    const late = Date.UTC(2024, 0, 1, 23, 0);
    expect(parkingCandidates(nights, [track({ stationarySinceMs: late - 300_000 })], ctx(late))).toHaveLength(1);
  });
});

describe('grace and max stay', () => {
  const graced = (graceSeconds: number) => noParkingZoneSchema.parse({ ...zone, graceSeconds });
  const timed = noParkingZoneSchema.parse({ ...zone, graceSeconds: 120, maxStaySeconds: 1800 });

  it('a stop shorter than the grace gives nothing, even past the dwell', () => {
    const delivery = graced(600);
    for (const s of [0, 300, 450, 599.999]) expect(parkingCandidates(delivery, [track()], ctx(T0 + s * 1000))).toEqual([]);
  });

  it('a stop longer than the grace is illegal_parking from the longer of dwell and grace', () => {
    const long = parkingCandidates(graced(600), [track()], ctx(T0 + 600_000));
    expect(long).toMatchObject([{ key: 'kerb/T1', type: 'illegal_parking', dwellStartMs: T0 }]);
    // A grace shorter than the dwell changes nothing: the dwell still decides.
    const short = graced(60);
    expect(parkingCandidates(short, [track()], ctx(T0 + 299_999))).toEqual([]);
    expect(parkingCandidates(short, [track()], ctx(T0 + 300_000))).toMatchObject([{ type: 'illegal_parking', dwellStartMs: T0 }]);
  });

  it('a time-limited zone allows parking up to maxStay, then gives an overstay from the stop', () => {
    for (const s of [120, 300, 1799.999]) expect(parkingCandidates(timed, [track()], ctx(T0 + s * 1000))).toEqual([]);
    expect(parkingCandidates(timed, [track()], ctx(T0 + 1_800_000))).toEqual([parkedCar('overstay')]);
  });

  it('a bay corroborates an overstay only once it has been occupied for the max stay', () => {
    const bays = [sensorBaySchema.parse({ id: 'bay1', zoneId: 'kerb', cameraId: 'cam1' })];
    const ts = T0 + 1_800_000;
    const since = (ms: number) => ({ sensorBays: bays, sensorState: new Map([['bay1', { occupied: true, sinceMs: ms }]]) });
    expect(parkingCandidates(timed, [track()], ctx(ts, since(ts - 1_799_000)))[0].sensorBayIds).toBeUndefined();
    expect(parkingCandidates(timed, [track()], ctx(ts, since(T0)))[0].sensorBayIds).toEqual(['bay1']);
  });

  it('a time-limited zone never gives illegal_parking', () => {
    const types = [300, 1800, 7200].flatMap((s) => parkingCandidates(timed, [track()], ctx(T0 + s * 1000)).map((c) => c.type));
    expect(types).toEqual(['overstay', 'overstay']);
  });
});

describe('street sensors', () => {
  const bay = (over: object) => sensorBaySchema.parse({ id: 'bay1', zoneId: 'kerb', cameraId: 'cam1', ...over });
  const ts = T0 + 300_000;

  it('corroborates a camera candidate with an occupied bay of the same camera and zone', () => {
    const state = new Map([['bay1', { occupied: true, sinceMs: ts - 300_000 }]]);
    const [c] = parkingCandidates(zone, [track()], ctx(ts, { sensorBays: [bay({})], sensorState: state }));
    expect(c.confidence).toBeCloseTo(0.8); // 1 − 0.4 × 0.5
    expect(c.sensorBayIds).toEqual(['bay1']);
    expect(corroborate(0.9)).toBeCloseTo(0.95);
  });

  it('does not boost for a bay occupied shorter than the dwell, free, or of another camera', () => {
    const cases: [object, { occupied: boolean; sinceMs: number }][] = [
      [{}, { occupied: true, sinceMs: ts - 299_000 }],
      [{}, { occupied: false, sinceMs: ts - 900_000 }],
      [{ cameraId: 'cam2' }, { occupied: true, sinceMs: ts - 900_000 }],
      [{ zoneId: 'other' }, { occupied: true, sinceMs: ts - 900_000 }],
    ];
    for (const [b, s] of cases) {
      const [c] = parkingCandidates(zone, [track()], ctx(ts, { sensorBays: [bay(b)], sensorState: new Map([['bay1', s]]) }));
      expect(c.confidence).toBe(0.6);
      expect(c.sensorBayIds).toBeUndefined();
    }
  });

  it('an occupied bay alone never makes a camera candidate', () => {
    const state = new Map([['bay1', { occupied: true, sinceMs: ts - 900_000 }]]);
    expect(parkingCandidates(zone, [], ctx(ts, { sensorBays: [bay({})], sensorState: state }))).toEqual([]);
  });

  it('sensor-only bays (no camera) yield a candidate once occupied for their own dwell', () => {
    const bays = [bay({ id: 'b-alone', cameraId: undefined, dwellSeconds: 120 }), bay({ id: 'b-cam' })];
    const state = new Map([
      ['b-alone', { occupied: true, sinceMs: T0 }],
      ['b-cam', { occupied: true, sinceMs: T0 }],
    ]);
    expect(sensorOnlyCandidates(bays, state, T0 + 119_999)).toEqual([]);
    expect(sensorOnlyCandidates(bays, state, T0 + 120_000)).toEqual([
      {
        key: 'kerb/bay:b-alone',
        zoneId: 'kerb',
        type: 'illegal_parking',
        label: 'sensor',
        confidence: 0.5,
        box: null,
        subjectTrackIds: [],
        sensorBayIds: ['b-alone'],
        dwellStartMs: T0,
        firstSeenMs: T0,
      },
    ]);
    expect(sensorOnlyCandidates(bays, new Map([['b-alone', { occupied: false, sinceMs: T0 }]]), T0 + 999_000)).toEqual([]);
    expect(sensorOnlyCandidates(bays, new Map(), T0 + 999_000)).toEqual([]);
  });
});

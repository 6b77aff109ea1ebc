import { describe, expect, it } from 'vitest';
import type { PixelBox } from '../../../detector/types.js';
import { noParkingZoneSchema, noVendingZoneSchema } from '../../config.js';
import type { StationaryObject } from '../occupancy/stationary-object.js';
import type { Track } from '../violation.js';
import { zoneCandidates } from './index.js';
import type { RuleContext } from './shared.js';
import { tendingPeople, vendingCandidates } from './vending.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0);
const FRAME = { width: 1000, height: 500 };
const zone = noVendingZoneSchema.parse({
  id: 'square',
  kind: 'no_vending',
  polygon: [
    [0, 0.4],
    [0.6, 0.4],
    [0.6, 1],
    [0, 1],
  ],
  dwellSeconds: 120,
});
const b = (x: number, y: number, w: number, h: number): PixelBox => ({ x1: x, y1: y, x2: x + w, y2: y + h });
const STALL = b(100, 250, 160, 80);
const object = (over: Partial<StationaryObject> = {}): StationaryObject => ({ id: 'O1', zoneId: 'square', box: STALL, sinceMs: T0, tendedMs: 120_000, ...over });
const ctx = (tsMs: number, objects: StationaryObject[] = [object()]): RuleContext => ({ tsMs, frame: FRAME, timeZone: 'UTC', cameraId: 'cam1', stationaryObjects: objects });

function track(id: string, label: string, box: PixelBox, over: Partial<Track> = {}): Track {
  return {
    id, label, classGroup: label, labelVotes: { [label]: 10 }, box, score: 0.7, velocity: { x: 0, y: 0 },
    firstSeenMs: T0, lastSeenMs: T0, hits: 10, confirmed: true, matched: true, stationary: true, stationarySinceMs: T0, ...over,
  };
}
const vendor = track('T3', 'person', b(270, 240, 40, 100));

describe('vendingCandidates', () => {
  it('a new object tended for the share of the dwell is street_vending once the dwell is reached, its box on the object', () => {
    expect(vendingCandidates(zone, [vendor], ctx(T0 + 119_999))).toEqual([]);
    expect(vendingCandidates(zone, [vendor], ctx(T0 + 120_000))).toEqual([
      {
        key: 'square/O1',
        zoneId: 'square',
        type: 'street_vending',
        label: 'object',
        confidence: 0.5,
        box: STALL,
        subjectTrackIds: ['T3'],
        dwellStartMs: T0,
        firstSeenMs: T0,
      },
    ]);
  });

  it('an object tended for less than the share is no stall; an obstruction only where the zone asks for it', () => {
    const ts = T0 + 600_000;
    const briefly = [object({ tendedMs: 59_999 })];
    expect(vendingCandidates(zone, [vendor], ctx(ts, briefly))).toEqual([]);
    expect(vendingCandidates({ ...zone, tendingShare: 0.4 }, [vendor], ctx(ts, briefly)).map((c) => c.type)).toEqual(['street_vending']);
    const withObstructions = { ...zone, obstructions: true };
    expect(vendingCandidates(withObstructions, [], ctx(ts, briefly))).toMatchObject([{ key: 'square/O1', type: 'obstruction', subjectTrackIds: [], box: STALL }]);
    expect(vendingCandidates(withObstructions, [vendor], ctx(ts)).map((c) => c.type)).toEqual(['street_vending']);
  });

  it('goods detected on the object raise its confidence and name it; goods elsewhere do not', () => {
    const umbrella = track('T1', 'umbrella', b(110, 240, 80, 60), { score: 0.6 });
    const chairAway = track('T2', 'chair', b(500, 400, 30, 40), { score: 0.9 });
    const [c] = vendingCandidates(zone, [umbrella, chairAway, vendor], ctx(T0 + 120_000));
    expect(c.confidence).toBeCloseTo(0.8); // 1 − 0.5 × 0.4
    expect(c.label).toBe('umbrella');
    expect(c.subjectTrackIds).toEqual(['T1', 'T3']);
  });

  it('only objects of this zone, and only while its schedule is active', () => {
    const ts = T0 + 600_000;
    expect(vendingCandidates(zone, [vendor], ctx(ts, [object({ zoneId: 'other' })]))).toEqual([]);
    const nights = { ...zone, schedule: [{ days: ['mon' as const], from: '22:00', to: '06:00' }] };
    expect(vendingCandidates(nights, [vendor], ctx(ts))).toEqual([]);
  });
});

describe('tendingPeople', () => {
  it('people standing or shuffling near the object tend it; passers-by and people far away do not', () => {
    const farAway = track('T4', 'person', b(301, 240, 40, 100)); // 41 px from an 80 px tall stall (at most 0.5 × 80)
    const passerBy = track('T5', 'person', b(270, 240, 40, 100), { stationary: false, stationarySinceMs: null, velocity: { x: 120, y: 0 } });
    const shuffling = track('T6', 'person', b(270, 240, 40, 100), { stationary: false, stationarySinceMs: null, velocity: { x: 15, y: 5 } });
    const unconfirmed = track('T7', 'person', b(270, 240, 40, 100), { confirmed: false });
    const dog = track('T8', 'dog', b(270, 240, 40, 100));
    const coasting = track('T9', 'person', b(270, 240, 40, 100), { matched: false });
    expect(tendingPeople(zone, [vendor, farAway, passerBy, shuffling, unconfirmed, dog, coasting], STALL).map((t) => t.id)).toEqual(['T3', 'T6']);
  });
});

describe('zoneCandidates', () => {
  it('evaluates every zone of a camera by its kind', () => {
    const kerb = noParkingZoneSchema.parse({
      id: 'kerb',
      kind: 'no_parking',
      polygon: [
        [0.6, 0.4],
        [1, 0.4],
        [1, 1],
        [0.6, 1],
      ],
      dwellSeconds: 60,
    });
    const car = track('T10', 'car', b(700, 300, 200, 120), { classGroup: 'vehicle' });
    const out = zoneCandidates([zone, kerb], [vendor, car], ctx(T0 + 120_000));
    expect(out.map((c) => [c.key, c.type])).toEqual([
      ['square/O1', 'street_vending'],
      ['kerb/T10', 'illegal_parking'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { PixelBox } from '../../../detector/types.js';
import { noParkingZoneSchema, noVendingZoneSchema } from '../../config.js';
import { Tracker } from '../tracker.js';
import type { Track } from '../violation.js';
import { zoneCandidates } from './index.js';
import type { RuleContext } from './shared.js';
import { clusterGoods, vendingCandidates } from './vending.js';

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
const ctx = (tsMs: number): RuleContext => ({ tsMs, frame: FRAME, timeZone: 'UTC', cameraId: 'cam1' });
const b = (x: number, y: number, w: number, h: number): PixelBox => ({ x1: x, y1: y, x2: x + w, y2: y + h });

function track(id: string, label: string, box: PixelBox, over: Partial<Track> = {}): Track {
  return {
    id,
    label,
    classGroup: label,
    labelVotes: { [label]: 10 },
    box,
    score: 0.7,
    velocity: { x: 0, y: 0 },
    firstSeenMs: T0,
    lastSeenMs: T0,
    hits: 10,
    confirmed: true,
    matched: true,
    stationary: true,
    stationarySinceMs: T0,
    ...over,
  };
}

const umbrella = track('T1', 'umbrella', b(100, 250, 80, 60), { firstSeenMs: T0 - 5000 });
const table = track('T2', 'dining table', b(190, 280, 70, 50), { score: 0.5 });
const vendor = track('T3', 'person', b(270, 240, 40, 100));

describe('vendingCandidates', () => {
  it('raises a stall (goods cluster) tended by a person once the dwell is reached', () => {
    expect(vendingCandidates(zone, [umbrella, table, vendor], ctx(T0 + 119_999))).toEqual([]);
    expect(vendingCandidates(zone, [umbrella, table, vendor], ctx(T0 + 120_000))).toEqual([
      {
        key: 'square/T1',
        zoneId: 'square',
        type: 'street_vending',
        label: 'umbrella+dining table',
        confidence: 0.6,
        box: { x1: 100, y1: 250, x2: 260, y2: 330 },
        subjectTrackIds: ['T1', 'T2', 'T3'],
        dwellStartMs: T0,
        firstSeenMs: T0 - 5000,
      },
    ]);
  });

  it('needs a person near the goods', () => {
    const ts = T0 + 3_600_000;
    expect(vendingCandidates(zone, [umbrella, table], ctx(ts))).toEqual([]);
    const farAway = track('T4', 'person', b(560, 100, 40, 100)); // 300 px from an 80 px tall stall
    expect(vendingCandidates(zone, [umbrella, table, farAway], ctx(ts))).toEqual([]);
    const passerBy = track('T5', 'person', b(270, 240, 40, 100), { stationary: false, stationarySinceMs: null, velocity: { x: 120, y: 0 } });
    expect(vendingCandidates(zone, [umbrella, table, passerBy], ctx(ts))).toEqual([]);
    const shuffling = track('T6', 'person', b(270, 240, 40, 100), { stationary: false, stationarySinceMs: null, velocity: { x: 15, y: 5 } });
    expect(vendingCandidates(zone, [umbrella, table, shuffling], ctx(ts))).toHaveLength(1);
  });

  it('needs stationary goods inside the zone', () => {
    const ts = T0 + 3_600_000;
    const moving = { stationary: false, stationarySinceMs: null };
    expect(vendingCandidates(zone, [track('T1', 'umbrella', umbrella.box, moving), vendor], ctx(ts))).toEqual([]);
    const outside = track('T1', 'umbrella', b(700, 250, 80, 60)); // right of the zone
    expect(vendingCandidates(zone, [outside, track('T3', 'person', b(790, 240, 40, 100))], ctx(ts))).toEqual([]);
  });

  it('keeps the key of the oldest goods when more goods join', () => {
    const ts = T0 + 3_600_000;
    const chair = track('T7', 'chair', b(60, 270, 30, 40), { firstSeenMs: T0 + 600_000, stationarySinceMs: T0 + 600_000 });
    const [c] = vendingCandidates(zone, [table, chair, vendor, umbrella], ctx(ts));
    expect(c.key).toBe('square/T1');
    expect(c.subjectTrackIds).toEqual(['T1', 'T2', 'T7', 'T3']);
    expect(c.label).toBe('umbrella+dining table+chair');
    expect(c.dwellStartMs).toBe(T0);
  });

  it('raises one candidate per separate stall', () => {
    const ts = T0 + 3_600_000;
    const other = track('T8', 'suitcase', b(450, 400, 50, 40), { firstSeenMs: T0 + 1000 });
    const otherVendor = track('T9', 'person', b(510, 350, 40, 100));
    const out = vendingCandidates(zone, [umbrella, table, vendor, other, otherVendor], ctx(ts));
    expect(out.map((c) => c.key)).toEqual(['square/T1', 'square/T8']);
    expect(out[1].box).toEqual(other.box);
  });

  it('clusters goods by gap in box heights', () => {
    const g1 = track('T1', 'chair', b(0, 300, 40, 40));
    const g2 = track('T2', 'chair', b(80, 300, 40, 40)); // 40 px gap = 1 height
    const g3 = track('T3', 'chair', b(161, 300, 40, 40)); // 41 px from g2
    expect(clusterGoods([g1, g2, g3], 1).map((c) => c.map((t) => t.id))).toEqual([['T1', 'T2'], ['T3']]);
    expect(clusterGoods([g1, g2, g3], 1.1)).toHaveLength(1);
  });

  it('people walking or standing alone never make a vending candidate', () => {
    const tr = new Tracker({ maxGapSeconds: 10, iouThreshold: 0.3, stationaryTolerance: 0.15, stationarySeconds: 5 });
    const short = { ...zone, dwellSeconds: 10 };
    let standingSeen = 0;
    for (let i = 0; i < 3000; i++) {
      const ts = T0 + i * 100;
      const dets = [
        // four people standing still in the zone (one chatting pair right next to each other)
        { box: b(100, 250, 40, 100), classId: 0, label: 'person', score: 0.9 },
        { box: b(145, 252, 40, 100), classId: 0, label: 'person', score: 0.9 },
        { box: b(300, 300, 40, 100), classId: 0, label: 'person', score: 0.8 },
        { box: b(450, 320, 40, 100), classId: 0, label: 'person', score: 0.8 },
        // two walkers crossing the zone back and forth
        { box: b(20 + ((i * 6) % 560), 230, 40, 100), classId: 0, label: 'person', score: 0.8 },
        { box: b(580 - ((i * 4) % 560), 380, 40, 100), classId: 0, label: 'person', score: 0.8 },
      ];
      const tracks = tr.update(ts, dets, FRAME);
      standingSeen = tracks.filter((t) => t.stationary).length;
      expect(vendingCandidates(short, tracks, ctx(ts))).toEqual([]);
    }
    expect(standingSeen).toBe(4);
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
    const out = zoneCandidates([zone, kerb], [umbrella, table, vendor, car], ctx(T0 + 120_000));
    expect(out.map((c) => [c.key, c.type])).toEqual([
      ['square/T1', 'street_vending'],
      ['kerb/T10', 'illegal_parking'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { PixelBox } from '../../detector/types.js';
import { QueueWatcher } from './queue.js';
import { Tracker } from './tracker.js';
import { parkingCandidates } from './rules/parking.js';
import type { Track } from './violation.js';
import { FRAME, kerbZone, T0 } from './rule-test-fixtures.js';

const S = 1000;
/** A dwell shorter than the queue hold, so a held queue outlasts it. */
const zone = kerbZone(60);

/** A car at x1..x1+120 that stands still from stopAt until moveAt (ms after T0). */
interface Car {
  id: string;
  x1: number;
  stopAt: number;
  moveAt?: number;
  /** First sighting (ms after T0); by default 20 s before T0, so the car drove in before it stopped. */
  seenFrom?: number;
}

const box = (x1: number): PixelBox => ({ x1, y1: 350, x2: x1 + 120, y2: 430 });

function snapshot(car: Car, tsMs: number): Track {
  const still = tsMs >= T0 + car.stopAt && (car.moveAt === undefined || tsMs < T0 + car.moveAt);
  return {
    id: car.id,
    label: 'car',
    classGroup: 'vehicle',
    labelVotes: { car: 15 },
    box: still ? box(car.x1) : box(car.x1 - 30),
    score: 0.8,
    velocity: still ? { x: 0, y: 0 } : { x: 30, y: 0 },
    firstSeenMs: T0 + (car.seenFrom ?? -20 * S),
    lastSeenMs: tsMs,
    hits: 50,
    confirmed: true,
    matched: true,
    stationary: still,
    stationarySinceMs: still ? T0 + car.stopAt : null,
  };
}

/** Runs the scene second by second for `seconds`; returns when each violation key was first raised (s after T0). */
function raised(cars: readonly Car[], seconds: number, holdSeconds = 90): Record<string, number> {
  const watcher = new QueueWatcher({ holdSeconds });
  const first: Record<string, number> = {};
  for (let s = 0; s <= seconds; s++) {
    const tsMs = T0 + s * S;
    const tracks = cars.map((c) => snapshot(c, tsMs));
    const queuedTrackIds = watcher.observe(tsMs, tracks);
    for (const c of parkingCandidates(zone, tracks, { tsMs, frame: FRAME, timeZone: 'UTC', cameraId: 'cam1', queuedTrackIds })) first[c.key] ??= s;
  }
  return first;
}

/** Three cars bumper to bumper (20 px apart) stopping within 4 s at a light, moving off front first at 80 s. */
const lightQueue: Car[] = [
  { id: 'A', x1: 700, stopAt: 0, moveAt: 80 * S },
  { id: 'B', x1: 560, stopAt: 2 * S, moveAt: 81 * S },
  { id: 'C', x1: 420, stopAt: 4 * S, moveAt: 83 * S },
];

describe('QueueWatcher with the parking rule', () => {
  it('raises nothing for a queue at a light that moves off before the hold, though it stood longer than the dwell', () => {
    expect(raised(lightQueue, 120)).toEqual({});
    // The same scene without queue holding is three parked cars: the watcher is what keeps it quiet.
    expect(raised(lightQueue, 120, 0)).toEqual({ 'kerb/A': 60, 'kerb/B': 62, 'kerb/C': 64 });
  });

  it('keeps the last car of a draining queue queued after the cars ahead left', () => {
    const drain: Car[] = [
      { id: 'A', x1: 700, stopAt: 0, moveAt: 70 * S },
      { id: 'B', x1: 560, stopAt: 2 * S, moveAt: 85 * S },
    ];
    expect(raised(drain, 120)).toEqual({});
  });

  it('raises a single parked car at its dwell, as before', () => {
    expect(raised([{ id: 'P', x1: 600, stopAt: 0 }], 120)).toEqual({ 'kerb/P': 60 });
  });

  it('raises two cars parked apart at different times', () => {
    const cars: Car[] = [
      { id: 'P', x1: 420, stopAt: 0 },
      { id: 'Q', x1: 800, stopAt: 30 * S },
    ];
    expect(raised(cars, 120)).toEqual({ 'kerb/P': 60, 'kerb/Q': 90 });
  });

  it('raises a row of cars parked bumper to bumper that arrived minutes apart', () => {
    const row: Car[] = [
      { id: 'P', x1: 700, stopAt: 0 },
      { id: 'Q', x1: 560, stopAt: 40 * S },
    ];
    expect(raised(row, 120)).toEqual({ 'kerb/P': 60, 'kerb/Q': 100 });
  });

  it('raises vehicles standing together since they were first seen at their dwell (parked before the camera started)', () => {
    const parked = lightQueue.map(({ moveAt: _moveAt, ...c }) => ({ ...c, seenFrom: c.stopAt }));
    expect(raised(parked, 120)).toEqual({ 'kerb/A': 60, 'kerb/B': 62, 'kerb/C': 64 });
  });

  it('raises a queue that never moves once the hold is over, its dwell counted from the stop', () => {
    const stuck = lightQueue.map(({ moveAt: _moveAt, ...c }) => c);
    expect(raised(stuck, 120)).toEqual({ 'kerb/A': 90, 'kerb/B': 92, 'kerb/C': 94 });
    const watcher = new QueueWatcher({ holdSeconds: 90 });
    watcher.observe(T0 + 10 * S, stuck.map((c) => snapshot(c, T0 + 10 * S)));
    expect([...watcher.observe(T0 + 91 * S, stuck.map((c) => snapshot(c, T0 + 91 * S)))]).toEqual(['B', 'C']);
  });

  it('forgets a queued car once it moves: its next stop is judged afresh', () => {
    const watcher = new QueueWatcher({ holdSeconds: 90 });
    const at = (s: number, cars: Car[]) => [...watcher.observe(T0 + s * S, cars.map((c) => snapshot(c, T0 + s * S)))].sort();
    expect(at(10, lightQueue)).toEqual(['A', 'B', 'C']);
    // A drives on and stops alone further down at 20 s (within what would have been its hold): not queued.
    expect(at(25, [{ id: 'A', x1: 900, stopAt: 20 * S }])).toEqual([]);
  });

  it('does not line up cars that only touch corner to corner (one in each of two lanes)', () => {
    const watcher = new QueueWatcher({ holdSeconds: 90 });
    const a = snapshot({ id: 'A', x1: 600, stopAt: 0 }, T0 + 10 * S);
    const b = { ...snapshot({ id: 'B', x1: 730, stopAt: 0 }, T0 + 10 * S), box: { x1: 730, y1: 440, x2: 850, y2: 500 } };
    expect([...watcher.observe(T0 + 10 * S, [a, b])]).toEqual([]);
    const behind = { ...b, box: { x1: 730, y1: 420, x2: 850, y2: 500 } }; // overlaps A's rows: in line
    expect([...watcher.observe(T0 + 10 * S, [a, behind])].sort()).toEqual(['A', 'B']);
  });

  it('ignores non-vehicles standing next to a car', () => {
    const watcher = new QueueWatcher({ holdSeconds: 90 });
    const person = { ...snapshot({ id: 'H', x1: 560, stopAt: 0 }, T0 + 10 * S), label: 'person', classGroup: 'person', labelVotes: { person: 15 } };
    expect([...watcher.observe(T0 + 10 * S, [snapshot({ id: 'P', x1: 700, stopAt: 0 }, T0 + 10 * S), person])]).toEqual([]);
  });

  it('holds a queue seen through the tracker: three cars drive in, stop together and move off after 80 s', () => {
    const tracker = new Tracker({ maxGapSeconds: 10, iouThreshold: 0.3, stationaryTolerance: 0.15, stationarySeconds: 5 });
    const watcher = new QueueWatcher({ holdSeconds: 90 });
    const stopX = [700, 560, 420];
    let queuedSeen = 0;
    for (let i = 0; i <= 1000; i++) {
      // 10 fps: each car rolls in at 50 px/s for 10 s, stands from 10 s to 90 s, then drives on
      const s = i / 10;
      const roll = s < 10 ? (s - 10) * 50 : s >= 90 ? (s - 90) * 50 : 0;
      const objects = stopX.map((x) => ({ box: box(x + roll), classId: 2, label: 'car', score: 0.9 }));
      const tsMs = T0 + i * 100;
      const tracks = tracker.update(tsMs, objects, FRAME);
      const queuedTrackIds = watcher.observe(tsMs, tracks);
      queuedSeen = Math.max(queuedSeen, queuedTrackIds.size);
      expect(parkingCandidates(zone, tracks, { tsMs, frame: FRAME, timeZone: 'UTC', cameraId: 'cam1', queuedTrackIds })).toEqual([]);
    }
    expect(queuedSeen).toBe(3);
  });
});

/**
 * End-to-end over the pure pieces: tracker → zone rules → lifecycle, 80 s of synthetic detections at
 * 10 fps: a van drives in, parks, is missed by the detector now and then and flips car/truck, then
 * leaves; people walk past it and one stands on the pavement.
 */
import { describe, expect, it } from 'vitest';
import type { ObjectBox, PixelBox } from '../../detector/types.js';
import { noParkingZoneSchema, noVendingZoneSchema, type ZoneConfig } from '../config.js';
import { ViolationLifecycle } from './lifecycle.js';
import { zoneCandidates } from './rules/index.js';
import { Tracker } from './tracker.js';
import type { LifecycleEvent } from './violation.js';
import { seededRandom } from '../../test/helpers/seeded-random.js';

const FRAME = { width: 1280, height: 720 };
const T0 = Date.UTC(2024, 4, 6, 9, 0); // a Monday morning

const kerb = noParkingZoneSchema.parse({
  id: 'kerb',
  kind: 'no_parking',
  polygon: [
    [0.45, 0.6],
    [1, 0.6],
    [1, 0.95],
    [0.45, 0.95],
  ],
  dwellSeconds: 30,
  updateSeconds: 10,
  evidenceRepeatSeconds: 20,
});
const pavement = noVendingZoneSchema.parse({
  id: 'pavement',
  kind: 'no_vending',
  polygon: [
    [0, 0.2],
    [0.45, 0.2],
    [0.45, 0.6],
    [0, 0.6],
  ],
  dwellSeconds: 10,
});
const zones: ZoneConfig[] = [kerb, pavement];

const noise = seededRandom;

/** Clipped to the frame like a detector's output; null when too little is left in view. */
function inFrame(x: number, y: number, w: number, h: number): PixelBox | null {
  const b = { x1: Math.max(0, x), y1: Math.max(0, y), x2: Math.min(FRAME.width, x + w), y2: Math.min(FRAME.height, y + h) };
  return b.x2 - b.x1 < 20 || b.y2 - b.y1 < 20 ? null : b;
}

/** The van's left edge: decelerates from the right edge to x=700 in 4 s, stays, leaves from t=65 s. */
function vanX(t: number): number {
  if (t < 4) return 1040 - 340 * (1 - (1 - t / 4) ** 2);
  if (t < 65) return 700;
  return 700 - 60 * (t - 65) ** 2;
}

const DROPOUTS: [number, number][] = [
  [20, 20.6],
  [33, 34.5],
  [50, 52],
];

function detectionsAt(t: number, rnd: () => number): ObjectBox[] {
  const out: ObjectBox[] = [];
  const jitter = () => (rnd() - 0.5) * 8;
  const walkerA = inFrame(((t * 120) % 1500) - 100, 430, 50, 130); // walks in front of the van, left to right
  const walkerB = inFrame(1380 - ((t * 90) % 1500), 260, 45, 115); // on the pavement, right to left
  const stander = inFrame(200, 200, 45, 115); // stands on the pavement the whole time
  for (const b of [walkerA, walkerB, stander]) if (b) out.push({ box: b, classId: 0, label: 'person', score: 0.6 + rnd() * 0.3 });

  const van = inFrame(vanX(t) + jitter(), 380 + jitter(), 260 + jitter(), 180 + jitter());
  const droppedOut = DROPOUTS.some(([a, b]) => t >= a && t < b);
  const hiddenByWalker = walkerA !== null && van !== null && walkerA.x2 > van.x1 && walkerA.x1 < van.x2 && rnd() < 0.3;
  if (van && !droppedOut && !hiddenByWalker) {
    out.push({ box: van, classId: 2, label: rnd() < 0.4 ? 'truck' : 'car', score: 0.5 + rnd() * 0.3 });
  }
  return out;
}

interface Run {
  events: LifecycleEvent[];
  emittedAt: Map<LifecycleEvent, number>;
  /** Ids of vehicle tracks reported while the van was in view before leaving (t < 66 s). */
  vanTrackIds: Set<string>;
}

/** The per-camera pipeline over the pure pieces: tracker → zone rules → lifecycle. */
function simulate(fps: number, seed: number): Run {
  const tracker = new Tracker({ maxGapSeconds: 10, iouThreshold: 0.3, stationaryTolerance: 0.15, stationarySeconds: 5 });
  const lifecycle = new ViolationLifecycle();
  const zoneById = new Map(zones.map((z) => [z.id, z]));
  const rnd = noise(seed);
  const run: Run = { events: [], emittedAt: new Map(), vanTrackIds: new Set() };
  let tsMs = T0;
  for (let i = 0; i < 80 * fps; i++) {
    tsMs = T0 + (i * 1000) / fps;
    const tracks = tracker.update(tsMs, detectionsAt(i / fps, rnd), FRAME);
    if (i / fps < 66) tracks.filter((t) => t.classGroup === 'vehicle').forEach((t) => run.vanTrackIds.add(t.id));
    const candidates = zoneCandidates(zones, tracks, { tsMs, frame: FRAME, timeZone: 'Europe/Paris', cameraId: 'cam1' });
    for (const e of lifecycle.step(tsMs, candidates, (id) => zoneById.get(id)!)) {
      run.events.push(e);
      run.emittedAt.set(e, tsMs);
    }
  }
  run.events.push(...lifecycle.endAll(tsMs + 100, 'source_ended'));
  return run;
}

const s = (ms: number) => (ms - T0) / 1000;

describe('scenario: a van parks for a minute among walking people', () => {
  it('yields exactly one started/ended pair for the van at 10 fps', () => {
    const fps = 10;
    const { events, emittedAt, vanTrackIds } = simulate(fps, 42);

    expect(vanTrackIds.size).toBe(1); // one identity through dropouts, flips and walkers
    const vanId = [...vanTrackIds][0];

    const started = events.filter((e) => e.state === 'started');
    const ended = events.filter((e) => e.state === 'ended');
    expect(started).toHaveLength(1);
    expect(ended).toHaveLength(1);
    expect(events.every((e) => e.candidate.type === 'illegal_parking' && e.candidate.key === `kerb/${vanId}`)).toBe(true);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1);

    // creeps the last metres until 4 s (within the stationary tolerance from ~3 s), dwell 30 s
    expect(s(started[0].discoveredAtMs) - s(started[0].candidate.dwellStartMs)).toBeCloseTo(30, 5);
    expect(s(started[0].candidate.dwellStartMs)).toBeGreaterThan(2.5);
    expect(s(started[0].candidate.dwellStartMs)).toBeLessThan(5);
    expect(['car', 'truck']).toContain(started[0].candidate.label);

    // drives off at 65 s: it stops being a candidate within a couple of seconds, and ends 'left'
    // once the zone's leave grace (default 5 s) has passed without it
    expect(ended[0].reason).toBe('left');
    expect(s(ended[0].endedAtMs!)).toBeGreaterThan(70);
    expect(s(ended[0].endedAtMs!)).toBeLessThan(72.5);
    // first seen at 0 s; its last frame as a candidate is the grace period before the end
    expect(ended[0].stayedSeconds).toBeCloseTo(s(ended[0].endedAtMs!) - 5, 3);

    // evidence exactly twice: at started and evidenceRepeatSeconds later; updates every 10 s
    const captures = events.filter((e) => e.captureEvidence);
    expect(captures.map((e) => e.state)).toEqual(['started', 'updated']);
    expect(emittedAt.get(captures[1])! - started[0].discoveredAtMs).toBe(20_000);
    const updates = events.filter((e) => e.state === 'updated').map((e) => emittedAt.get(e)! - started[0].discoveredAtMs);
    expect(updates).toEqual([10_000, 20_000, 30_000]);
  });

  it('yields the same single violation at the default 2 fps', () => {
    const { events, vanTrackIds } = simulate(2, 42);
    expect(vanTrackIds.size).toBe(1);
    expect(events.filter((e) => e.state !== 'updated').map((e) => [e.state, e.reason])).toEqual([
      ['started', undefined],
      ['ended', 'left'],
    ]);
    expect(events.every((e) => e.candidate.key === `kerb/${[...vanTrackIds][0]}`)).toBe(true);
    expect(events.filter((e) => e.captureEvidence)).toHaveLength(2);
  });
});

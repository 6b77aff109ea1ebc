import { describe, expect, it } from 'vitest';
import type { ObjectBox, PixelBox } from '../../detector/types.js';
import { iou } from '../../detector/nms.js';
import { Tracker, type TrackerOptions } from './tracker.js';
import type { Track } from './violation.js';
import { seededRandom } from '../../test/helpers/seeded-random.js';

const CFG: TrackerOptions = { maxGapSeconds: 10, iouThreshold: 0.3, stationaryTolerance: 0.15, stationarySeconds: 5 };
const FRAME = { width: 1280, height: 720 };
const T0 = 1_700_000_000_000;

function box(x: number, y: number, w: number, h: number): PixelBox {
  return { x1: x, y1: y, x2: x + w, y2: y + h };
}

function det(label: string, b: PixelBox, score = 0.8): ObjectBox {
  return { box: b, classId: 0, label, score };
}

/** Deterministic noise in [-1, 1]. */
function noise(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() * 2 - 1;
}

const center = (b: PixelBox) => ({ x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2 });

describe('Tracker basics', () => {
  it('reports a track only once it has two hits, and one-off detections vanish', () => {
    const tr = new Tracker(CFG);
    expect(tr.update(T0, [det('car', box(100, 100, 200, 100))], FRAME)).toEqual([]);
    expect(tr.allTracks()).toHaveLength(1);
    const two = tr.update(T0 + 100, [det('car', box(102, 100, 200, 100))], FRAME);
    expect(two).toHaveLength(1);
    expect(two[0]).toMatchObject({ label: 'car', classGroup: 'vehicle', hits: 2, confirmed: true, matched: true, firstSeenMs: T0 });

    const ghost = new Tracker(CFG);
    ghost.update(T0, [det('person', box(500, 300, 40, 100))], FRAME);
    ghost.update(T0 + 900, [], FRAME);
    expect(ghost.allTracks()).toHaveLength(1);
    ghost.update(T0 + 1100, [], FRAME);
    expect(ghost.allTracks()).toHaveLength(0);
  });

  it('gives ids unique per tracker and never associates across class groups', () => {
    const tr = new Tracker(CFG);
    const b = box(300, 300, 80, 160);
    tr.update(T0, [det('person', b), det('car', b)], FRAME);
    const out = tr.update(T0 + 100, [det('person', b), det('truck', b)], FRAME);
    expect(out).toHaveLength(2);
    expect(new Set(out.map((t) => t.id)).size).toBe(2);
    expect(out.map((t) => t.classGroup).sort()).toEqual(['person', 'vehicle']);
    expect(out.every((t) => t.hits === 2)).toBe(true);
  });

  it('iou of identical, disjoint and half-overlapping boxes', () => {
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 10, 10), box(20, 0, 10, 10))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(5, 0, 10, 10))).toBeCloseTo(50 / 150);
  });
});

describe('Tracker: objects from a source that looks only every few seconds', () => {
  it('keeps a new track through the gap to its source\'s next look, and confirms it then', () => {
    const tr = new Tracker(CFG);
    const stall = { ...det('stall', box(300, 300, 80, 50)), everyMs: 5000 };
    tr.update(T0, [stall], FRAME);
    // Frames of the main detector in between: the stall is not among their objects.
    for (let ms = 500; ms < 5000; ms += 500) expect(tr.update(T0 + ms, [det('person', box(900, 100, 40, 100))], FRAME)).toHaveLength(ms >= 1000 ? 1 : 0);
    expect(tr.allTracks().filter((t) => t.label === 'stall')).toHaveLength(1);
    const [seen] = tr.update(T0 + 5000, [stall], FRAME).filter((t) => t.label === 'stall');
    expect(seen).toMatchObject({ hits: 2, confirmed: true, stationary: true, stationarySinceMs: T0 });
  });

  it('still forgets it when the next look does not find it', () => {
    const tr = new Tracker(CFG);
    tr.update(T0, [{ ...det('stall', box(300, 300, 80, 50)), everyMs: 5000 }], FRAME);
    tr.update(T0 + 5000, [], FRAME);
    expect(tr.allTracks()).toHaveLength(1); // within 5 s + the usual second
    tr.update(T0 + 6500, [], FRAME);
    expect(tr.allTracks()).toHaveLength(0);
  });
});

describe('Tracker identity across missed detections', () => {
  const van = box(600, 300, 240, 160);

  function parkedVan(tr: Tracker, fromMs: number, toMs: number) {
    let out: Track[] = [];
    for (let t = fromMs; t <= toMs; t += 100) out = tr.update(t, [det('car', van)], FRAME);
    return out;
  }

  it('keeps the id through a gap just under maxGapSeconds', () => {
    const tr = new Tracker(CFG);
    const [first] = parkedVan(tr, T0, T0 + 2000);
    for (let t = T0 + 2100; t < T0 + 12_000; t += 100) {
      const out = tr.update(t, [], FRAME);
      expect(out.map((x) => x.id)).toEqual([first.id]); // still reported while missed
      expect(out[0].matched).toBe(false);
    }
    const back = tr.update(T0 + 11_950, [det('car', van)], FRAME);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ id: first.id, matched: true, firstSeenMs: T0 });
  });

  it('drops the track and starts a new id after a gap beyond maxGapSeconds', () => {
    const tr = new Tracker(CFG);
    const [first] = parkedVan(tr, T0, T0 + 2000);
    expect(tr.update(T0 + 12_000, [], FRAME)).toHaveLength(1); // exactly maxGap: kept
    expect(tr.update(T0 + 12_100, [], FRAME)).toHaveLength(0);
    tr.update(T0 + 12_200, [det('car', van)], FRAME);
    const again = tr.update(T0 + 12_300, [det('car', van)], FRAME);
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(first.id);
    expect(again[0].firstSeenMs).toBe(T0 + 12_200);
  });

  it('treats car/truck flips as one vehicle labelled by the recent majority', () => {
    const tr = new Tracker(CFG);
    const ids = new Set<string>();
    let out: Track[] = [];
    for (let i = 0; i < 40; i++) {
      const label = i % 5 < 3 ? 'truck' : 'car'; // 60 % truck
      out = tr.update(T0 + i * 100, [det(label, van)], FRAME);
      out.forEach((t) => ids.add(t.id));
    }
    expect(ids.size).toBe(1);
    expect(out[0].label).toBe('truck');
    expect(out[0].labelVotes.truck + out[0].labelVotes.car).toBe(15);

    // a later run of mostly 'car' wins the vote back, same id
    for (let i = 40; i < 60; i++) out = tr.update(T0 + i * 100, [det(i % 4 === 0 ? 'truck' : 'car', van)], FRAME);
    expect(out).toHaveLength(1);
    expect(out[0].label).toBe('car');
    expect(ids.has(out[0].id)).toBe(true);
  });

  it('does not let a single flipped label change the label', () => {
    const tr = new Tracker(CFG);
    let out: Track[] = [];
    for (let i = 0; i < 6; i++) out = tr.update(T0 + i * 100, [det(i === 3 ? 'bus' : 'car', van)], FRAME);
    expect(out[0].label).toBe('car');
  });
});

describe('Tracker crossing pedestrians', () => {
  /** A walks right, B walks left, crossing around frame 25; B is hidden behind A in `hidden` frames. */
  function walk(hidden: (i: number) => boolean) {
    const tr = new Tracker(CFG);
    const boxA = (i: number) => box(100 + 8 * i, 200, 40, 100);
    const boxB = (i: number) => box(500 - 8 * i, 212, 40, 100);
    let idA = '';
    let idB = '';
    for (let i = 0; i < 60; i++) {
      const dets = [det('person', boxA(i))];
      if (!hidden(i)) dets.push(det('person', boxB(i)));
      const out = tr.update(T0 + i * 100, dets, FRAME);
      if (i === 3) {
        idA = out.find((t) => center(t.box).x < 300)!.id;
        idB = out.find((t) => center(t.box).x > 300)!.id;
      }
    }
    const final = tr.allTracks();
    const nearest = (b: PixelBox) =>
      final.reduce((best, t) =>
        Math.abs(center(t.box).x - center(b).x) < Math.abs(center(best.box).x - center(b).x) ? t : best,
      );
    return { idA, idB, final, a: nearest(boxA(59)), b: nearest(boxB(59)) };
  }

  it('keeps each id on its own person through the crossing', () => {
    const r = walk(() => false);
    expect(r.idA).not.toBe(r.idB);
    expect(r.final).toHaveLength(2);
    expect(r.a.id).toBe(r.idA);
    expect(r.b.id).toBe(r.idB);
    expect(r.a.velocity.x).toBeGreaterThan(50); // 80 px/s to the right
    expect(r.b.velocity.x).toBeLessThan(-50);
  });

  it('keeps ids when one is hidden behind the other while they cross', () => {
    const r = walk((i) => i >= 22 && i <= 28);
    expect(r.final).toHaveLength(2);
    expect(r.a.id).toBe(r.idA);
    expect(r.b.id).toBe(r.idB);
  });

  it('follows a small fast box that never overlaps itself between frames', () => {
    const tr = new Tracker(CFG);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      tr.update(T0 + i * 100, [det('motorcycle', box(50 + 30 * i, 400, 24, 24))], FRAME).forEach((t) => ids.add(t.id));
    }
    expect(ids.size).toBe(1);
    expect(tr.allTracks()).toHaveLength(1);
  });

  it('drops a moving track once it is predicted out of the frame', () => {
    const tr = new Tracker(CFG);
    for (let i = 0; i < 10; i++) tr.update(T0 + i * 100, [det('car', box(1000 + 25 * i, 300, 100, 60))], FRAME);
    expect(tr.allTracks()).toHaveLength(1);
    for (let i = 10; i < 20; i++) tr.update(T0 + i * 100, [], FRAME);
    expect(tr.allTracks()).toHaveLength(0); // long before maxGapSeconds
  });
});

describe('Tracker stationary decision', () => {
  it('calls a jittering box stationary after stationarySeconds, dated from when it stopped', () => {
    const tr = new Tracker(CFG);
    const rnd = noise(7);
    let out: Track[] = [];
    let becameStationaryAt: number | null = null;
    for (let i = 0; i <= 100; i++) {
      const j = () => rnd() * 6; // ±6 px on a 240×160 box (2.5 % / 3.75 %)
      out = tr.update(T0 + i * 100, [det('car', box(600 + j(), 300 + j(), 240 + j(), 160 + j()))], FRAME);
      if (becameStationaryAt === null && out[0]?.stationary) becameStationaryAt = T0 + i * 100;
    }
    expect(becameStationaryAt).toBe(T0 + 5000);
    expect(out[0].stationary).toBe(true);
    expect(out[0].stationarySinceMs).toBe(T0);
  });

  it('never calls a slowly drifting box stationary', () => {
    const tr = new Tracker(CFG);
    // 12 px/s on a 240 px box: 0.25 box widths in 5 s > 0.15 tolerance
    for (let i = 0; i <= 200; i++) {
      const out = tr.update(T0 + i * 100, [det('car', box(200 + 1.2 * i, 300, 240, 160))], FRAME);
      expect(out[0]?.stationary ?? false).toBe(false);
      expect(out[0]?.stationarySinceMs ?? null).toBeNull();
    }
  });

  it('dates the dwell from when a driving car stopped, and resets when it drives off', () => {
    const tr = new Tracker(CFG);
    const x = (i: number) => (i < 30 ? 100 + 15 * i : 535); // drives 150 px/s for 3 s, then parks
    let out: Track[] = [];
    for (let i = 0; i < 95; i++) {
      out = tr.update(T0 + i * 100, [det('car', box(x(i), 300, 240, 160))], FRAME);
      if (i === 75) expect(out[0].stationary).toBe(false); // stopped 4.5 s ago
    }
    expect(out[0].stationary).toBe(true);
    expect(out[0].stationarySinceMs).toBeGreaterThanOrEqual(T0 + 2900);
    expect(out[0].stationarySinceMs).toBeLessThanOrEqual(T0 + 3300);
    const id = out[0].id;

    // drives off at 150 px/s: no longer stationary within moveConfirmSeconds (+ a frame or two)
    let movingAt: number | null = null;
    for (let i = 95; i < 125; i++) {
      out = tr.update(T0 + i * 100, [det('car', box(535 + 15 * (i - 94), 300, 240, 160))], FRAME);
      if (movingAt === null && !out[0].stationary) movingAt = i;
    }
    expect(out[0].id).toBe(id);
    expect(movingAt).not.toBeNull();
    expect(movingAt!).toBeLessThanOrEqual(95 + 13);
    expect(out[0].stationarySinceMs).toBeNull();
  });

  it('does not reset a stationary object for one odd box (e.g. partly hidden)', () => {
    const tr = new Tracker(CFG);
    let out: Track[] = [];
    for (let i = 0; i < 80; i++) {
      const b = i === 70 || i === 71 ? box(600, 300, 120, 160) : box(600, 300, 240, 160); // occluded half
      out = tr.update(T0 + i * 100, [det('car', b)], FRAME);
    }
    expect(out[0].stationary).toBe(true);
    expect(out[0].stationarySinceMs).toBe(T0);
  });
});

describe('Tracker.holdStill', () => {
  it('counts every live track as seen in place, keeping ids and stationary dwell past maxGapSeconds', () => {
    const tr = new Tracker(CFG);
    const van = box(600, 300, 240, 160);
    const person = box(100, 300, 40, 100);
    tr.update(T0, [det('truck', van), det('person', person)], FRAME);
    const before = tr.update(T0 + 100, [det('truck', van), det('person', person)], FRAME);
    let out: Track[] = [];
    for (let t = T0 + 200; t <= T0 + 20_000; t += 100) out = tr.holdStill(t);
    expect(out.map((t) => t.id).sort()).toEqual(before.map((t) => t.id).sort());
    for (const t of out) {
      expect(t).toMatchObject({ hits: 2, matched: true, lastSeenMs: T0 + 20_000, stationary: true, stationarySinceMs: T0 });
    }
    const vanTrack = out.find((t) => t.label === 'truck')!;
    expect(vanTrack.box).toEqual(van);
    // the detector runs again: same ids
    const again = tr.update(T0 + 20_100, [det('truck', van), det('person', person)], FRAME);
    expect(again.map((t) => t.id).sort()).toEqual(before.map((t) => t.id).sort());
  });

  it('does not confirm a tentative track', () => {
    const tr = new Tracker(CFG);
    tr.update(T0, [det('car', box(0, 0, 50, 50))], FRAME);
    expect(tr.holdStill(T0 + 100)).toEqual([]);
    expect(tr.allTracks()[0].hits).toBe(1);
  });
});

describe('Tracker.hold (the view is moving)', () => {
  it('keeps a parked vehicle where it settled, dwell unbroken, through shaken sightings; a walker ends unseen', () => {
    const tr = new Tracker(CFG);
    const van = box(600, 300, 240, 160);
    let t = T0;
    let out: Track[] = [];
    for (; t <= T0 + 6000; t += 100) out = tr.update(t, [det('truck', van), det('person', box(100 + (t - T0) / 20, 300, 40, 100))], FRAME);
    const parked = out.find((x) => x.label === 'truck')!;
    expect(parked.stationary).toBe(true);
    // The shake begins a frame before it is noticed: the van is seen 40 px off.
    out = tr.update((t += 100), [det('truck', box(640, 330, 240, 160))], FRAME);
    for (const end = t + 12_000; t < end; ) out = tr.hold((t += 100), FRAME);
    expect(out.map((x) => x.id)).toEqual([parked.id]); // the walker's track ended unseen, as it would have
    expect(out[0]).toMatchObject({ stationary: true, stationarySinceMs: parked.stationarySinceMs, matched: true, lastSeenMs: t });
    expect(iou(out[0].box, van)).toBeGreaterThan(0.95);
    // The view is back: the van is found on its own track, still parked since before the shake.
    out = tr.update((t += 100), [det('truck', van)], FRAME);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: parked.id, stationary: true, stationarySinceMs: parked.stationarySinceMs });
  });
});

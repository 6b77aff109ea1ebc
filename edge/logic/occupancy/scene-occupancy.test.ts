import { describe, expect, it } from 'vitest';
import type { PixelBox, RgbFrame } from '../../../detector/types.js';
import { noVendingZoneSchema, occupancySchema } from '../../config.js';
import { vendingCandidates } from '../rules/vending.js';
import type { Track } from '../violation.js';
import { clusterBoxes, SceneOccupancy, type OccupancyState } from './scene-occupancy.js';

const W = 320;
const H = 240;
const T0 = Date.UTC(2024, 0, 1, 12);
const config = occupancySchema.parse({});
const zone = noVendingZoneSchema.parse({ id: 'square', kind: 'no_vending', polygon: [[0, 0.3], [1, 0.3], [1, 1], [0, 1]], dwellSeconds: 30 });

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Paving: a grey level per 6×6 px slab, the same every frame. */
const slabs = (() => {
  const r = rng(7);
  return Array.from({ length: 60 * 60 }, () => 60 + 120 * r());
})();

interface Scene {
  /** Pixel shift of the whole view (a moved camera). */
  shift?: number;
  gain?: number;
  offset?: number;
  /** Per-pixel noise amplitude, new every frame. */
  noise?: number;
  /** Flat patches drawn over the paving. */
  patches?: { box: PixelBox; grey: number }[];
  seed?: number;
}

function frame(s: Scene = {}): RgbFrame {
  const data = Buffer.alloc(W * H * 3);
  const r = rng(s.seed ?? 1);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sx = x + (s.shift ?? 0);
      let v = slabs[Math.floor(y / 6) * 60 + Math.floor(sx / 6)];
      for (const p of s.patches ?? []) if (x >= p.box.x1 && x < p.box.x2 && y >= p.box.y1 && y < p.box.y2) v = p.grey;
      v = v * (s.gain ?? 1) + (s.offset ?? 0) + (s.noise ? (r() - 0.5) * 2 * s.noise : 0);
      const g = Math.max(0, Math.min(255, Math.round(v)));
      data.fill(g, (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  return { width: W, height: H, data };
}

function person(box: PixelBox, over: Partial<Track> = {}): Track {
  return {
    id: 'P1', label: 'person', classGroup: 'person', labelVotes: { person: 10 }, box, score: 0.8, velocity: { x: 0, y: 0 },
    firstSeenMs: T0, lastSeenMs: T0, hits: 10, confirmed: true, matched: true, stationary: true, stationarySinceMs: T0, ...over,
  };
}

/** Runs the scene at 2 frames/s from `fromS` to `toS` seconds, returning the state after each frame. */
function run(occ: SceneOccupancy, fromS: number, toS: number, scene: (t: number) => Scene, tracks: (t: number) => Track[] = () => []): OccupancyState[] {
  const out: OccupancyState[] = [];
  for (let t = fromS; t < toS; t += 0.5) out.push(occ.observe(frame({ seed: Math.round(t * 10), ...scene(t) }), T0 + t * 1000, tracks(t), [zone]));
  return out;
}

const CRATE = { box: { x1: 120, y1: 150, x2: 176, y2: 190 }, grey: 230 };

describe('SceneOccupancy', () => {
  it('finds an object that appears and stays, from when it appeared, its box on it', () => {
    const occ = new SceneOccupancy(config);
    const states = run(occ, 0, 30, (t) => ({ patches: t >= 10 ? [CRATE] : [] }));
    expect(states.slice(0, 20 + 9).every((s) => s.objects.length === 0)).toBe(true); // not before it persisted 5 s
    const last = states.at(-1)!;
    expect(last.objects).toHaveLength(1);
    const [o] = last.objects;
    expect(o.sinceMs).toBe(T0 + 10_000);
    expect(o.zoneId).toBe('square');
    expect(Math.abs(o.box.x1 - 120)).toBeLessThanOrEqual(8);
    expect(Math.abs(o.box.x2 - 176)).toBeLessThanOrEqual(8);
    expect(Math.abs(o.box.y1 - 150)).toBeLessThanOrEqual(8);
    expect(Math.abs(o.box.y2 - 190)).toBeLessThanOrEqual(8);
    expect(o.tendedMs).toBe(0);
    expect(last.paused).toBe(false);
  });

  it('no longer reports an object taken away, and one brought back within holdSeconds is the same', () => {
    const occ = new SceneOccupancy(config);
    const states = run(occ, 0, 40, (t) => ({ patches: t >= 10 && (t < 20 || t >= 23) ? [CRATE] : [] }));
    const at = (t: number) => states[t * 2].objects.map((o) => [o.id, o.sinceMs - T0]);
    expect(at(19.5)).toEqual([['O1', 10_000]]);
    expect(at(20.5)).toEqual([]);
    expect(at(23.5)).toEqual([['O1', 10_000]]);
  });

  it('a person standing still whom the detector misses now and then is no object', () => {
    const occ = new SceneOccupancy(config);
    const man = { box: { x1: 200, y1: 100, x2: 224, y2: 190 }, grey: 20 };
    const states = run(
      occ, 0, 60,
      (t) => ({ patches: t >= 5 ? [man] : [] }),
      // Detected in two samples of three: the third shows him as a change from the empty scene.
      (t) => (t >= 5 && Math.round(t * 2) % 3 !== 0 ? [person(man.box)] : []),
    );
    expect(states.filter((s) => s.objects.length > 0)).toHaveLength(0);
  });

  it('takes whatever stands there from the start as scene', () => {
    const occ = new SceneOccupancy(config);
    const states = run(occ, 0, 60, () => ({ patches: [CRATE] }));
    expect(states.filter((s) => s.objects.length > 0)).toHaveLength(0);
  });

  it('the place of an object there from the start and taken away later is scene, not a new object; one put down later is', () => {
    const occ = new SceneOccupancy(config);
    const dark = { box: { x1: 220, y1: 120, x2: 270, y2: 160 }, grey: 15 };
    const states = run(occ, 0, 60, (t) => ({ patches: [...(t < 20 ? [CRATE, dark] : []), ...(t >= 35 ? [{ ...CRATE, box: { x1: 40, y1: 180, x2: 96, y2: 220 } }] : [])] }));
    expect(states.slice(0, 70).filter((s) => s.objects.length > 0)).toHaveLength(0);
    const last = states.at(-1)!;
    expect(last.objects.map((o) => [o.sinceMs - T0, Math.round(o.box.x1 / 10)])).toEqual([[35_000, 4]]);
  });

  it('never makes an object of a tracked vehicle, parked from the start or arriving, nor of the paving it leaves', () => {
    const occ = new SceneOccupancy(config);
    const van = { box: { x1: 20, y1: 120, x2: 100, y2: 180 }, grey: 240 };
    const car = { box: { x1: 200, y1: 150, x2: 280, y2: 200 }, grey: 30 };
    const vehicle = (id: string, box: PixelBox) => person(box, { id, label: 'car', classGroup: 'vehicle', labelVotes: { car: 10 } });
    const states = run(
      occ, 0, 80,
      (t) => ({ patches: [...(t < 30 ? [van] : []), ...(t >= 20 && t < 60 ? [car] : [])] }),
      (t) => [...(t < 30 ? [vehicle('V1', van.box)] : []), ...(t >= 20 && t < 60 ? [vehicle('V2', car.box)] : [])],
    );
    expect(states.filter((s) => s.objects.length > 0)).toHaveLength(0);
  });

  it('ignores a brightness ramp (dusk) and a sudden exposure change', () => {
    const occ = new SceneOccupancy(config);
    const states = run(occ, 0, 120, (t) => ({ gain: 1 - 0.5 * (t / 120), offset: t < 60 ? 20 * (t / 60) : -10 }));
    expect(states.filter((s) => s.objects.length > 0 || s.paused)).toHaveLength(0);
  });

  it('ignores noise (rain, a grainy sensor)', () => {
    const occ = new SceneOccupancy(config);
    const states = run(occ, 0, 60, () => ({ noise: 60 }));
    expect(states.filter((s) => s.objects.length > 0 || s.paused)).toHaveLength(0);
  });

  it('leaves tracked people out, and counts the time a person near the object tends it', () => {
    const occ = new SceneOccupancy(config);
    const standing = { box: { x1: 40, y1: 100, x2: 64, y2: 190 }, grey: 20 };
    const keeper = { box: { x1: 184, y1: 110, x2: 208, y2: 190 }, grey: 25 };
    const states = run(
      occ, 0, 50,
      (t) => ({ patches: [standing, ...(t >= 10 ? [CRATE, keeper] : [])] }),
      (t) => [person(standing.box, { id: 'P1' }), ...(t >= 10 ? [person(keeper.box, { id: 'P2' })] : [])],
    );
    const last = states.at(-1)!;
    expect(last.objects).toHaveLength(1); // the crate; neither person
    expect(last.objects[0].box.x2).toBeLessThanOrEqual(184);
    expect(last.objects[0].tendedMs).toBeGreaterThanOrEqual(30_000); // the whole dwell
  });

  it('people strolling past the goods one after another are no keeper: goods left alone are an obstruction, goods with a keeper a stall', () => {
    // A new stroller every 4 s, each near the crate for 3 s at 0.35 own heights/s (slow enough to tend).
    const strollers = (t: number): Track[] => {
      const k = Math.floor(t / 4);
      const s = t - 4 * k;
      if (s >= 3) return [];
      const x1 = 80 + 28 * s;
      return [person({ x1, y1: 110, x2: x1 + 24, y2: 190 }, { id: `W${k}`, stationary: false, stationarySinceMs: null, velocity: { x: 28, y: 0 } })];
    };
    const keeper = person({ x1: 184, y1: 110, x2: 208, y2: 190 }, { id: 'K' });
    const types = (tracks: (t: number) => Track[]) => {
      const occ = new SceneOccupancy(config);
      const last = run(occ, 0, 45, (t) => ({ patches: t >= 10 ? [CRATE] : [] }), (t) => (t >= 10 ? tracks(t) : [])).at(-1)!;
      expect(last.objects).toHaveLength(1);
      const ctx = { tsMs: T0 + 45_000, frame: { width: W, height: H }, timeZone: 'UTC', cameraId: 'c', stationaryObjects: last.objects };
      return vendingCandidates({ ...zone, obstructions: true }, [], ctx).map((c) => c.type);
    };
    expect(types(strollers)).toEqual(['obstruction']);
    expect(types((t) => [...strollers(t), keeper])).toEqual(['street_vending']);
  });

  it('a moved camera pauses the rules with camera_moved, learns the new view, then resumes', () => {
    const occ = new SceneOccupancy(config);
    const before = run(occ, 0, 20, () => ({}));
    expect(before.every((s) => !s.paused && s.alerts.length === 0)).toBe(true);
    // Bumped at 20 s: shaking until 24 s, then still at a new position.
    const moved = run(occ, 20, 40, (t) => ({ shift: t < 24 ? 6 + 6 * Math.round(Math.sin(t * 7) * 2) : 12 }));
    expect(moved[0].paused).toBe(true);
    expect(moved[0].alerts).toEqual([{ kind: 'camera_moved', sinceMs: T0 + 20_000 }]);
    const resumedAt = moved.findIndex((s) => !s.paused);
    // Shaking restarts the learning: 10 s steady after 24 s.
    expect(20 + resumedAt * 0.5).toBeGreaterThanOrEqual(34);
    expect(20 + resumedAt * 0.5).toBeLessThanOrEqual(35);
    expect(moved.at(-1)!.alerts).toEqual([]);
    expect(moved.every((s) => s.objects.length === 0)).toBe(true);
    // Watching again in the new view: a new object is found.
    const after = run(occ, 40, 60, (t) => ({ shift: 12, patches: t >= 45 ? [CRATE] : [] }));
    expect(after.at(-1)!.objects).toHaveLength(1);
    expect(after.at(-1)!.objects[0].sinceMs).toBe(T0 + 45_000);
  });

  it('a big stall (a fifth of the picture) appearing at once in one part is an object, not a moved camera', () => {
    const occ = new SceneOccupancy(config);
    const big = { box: { x1: 150, y1: 110, x2: 300, y2: 215 }, grey: 230 };
    const states = run(occ, 0, 30, (t) => ({ patches: t >= 10 ? [big] : [] }));
    expect(states.filter((s) => s.paused || s.alerts.length > 0)).toHaveLength(0);
    const last = states.at(-1)!;
    expect(last.objects).toHaveLength(1);
    expect(last.objects[0].sinceMs).toBe(T0 + 10_000);
    expect(Math.abs(last.objects[0].box.x1 - 150)).toBeLessThanOrEqual(8);
    expect(Math.abs(last.objects[0].box.y2 - 215)).toBeLessThanOrEqual(8);
  });

  it('merges parts closer than the gap factor into one object', () => {
    const a = { x1: 0, y1: 0, x2: 10, y2: 10 };
    const b = { x1: 20, y1: 0, x2: 30, y2: 10 };
    expect(clusterBoxes([a, b], 1)).toEqual([{ x1: 0, y1: 0, x2: 30, y2: 10 }]);
    expect(clusterBoxes([a, b], 0.9)).toEqual([a, b]);
  });
});

import { describe, expect, it } from 'vitest';
import { planRegions, type RegionPlanInput } from './region-plan.js';

const frame = { width: 1920, height: 1080 };
const modelInput = { width: 416, height: 416 };
const opts = { maxRegions: 3, minSize: 416, wholeFrameEveryMs: 2000 };
const base: RegionPlanInput = { frame, modelInput, zones: [], tracks: [], motion: [], tsMs: 10_000, lastWholeMs: 9_000 };
/** A rectangular zone polygon, normalised. */
const zone = (x1: number, y1: number, x2: number, y2: number) => [[x1, y1], [x2, y1], [x2, y2], [x1, y2]] as const;
const side = (r: { x1: number; x2: number; y1: number; y2: number }) => [r.x2 - r.x1, r.y2 - r.y1];

describe('planRegions', () => {
  it('puts a model-sized square around a small zone', () => {
    // 192x108 px zone centred at (960, 540).
    const plan = planRegions({ ...base, zones: [zone(0.45, 0.45, 0.55, 0.55)] }, opts);
    expect(plan).toEqual({ whole: false, regions: [{ x1: 752, y1: 332, x2: 1168, y2: 748 }] });
  });

  it('grows a region to hold a zone larger than the model input', () => {
    const plan = planRegions({ ...base, zones: [zone(0.1, 0.1, 0.5, 0.3)] }, opts); // 768x216 px
    expect(plan.regions.map(side)).toEqual([[768, 768]]);
  });

  it('clamps regions to the frame, keeping their size', () => {
    const plan = planRegions({ ...base, zones: [zone(0.9, 0, 1, 0.1)] }, opts);
    expect(plan.regions).toEqual([{ x1: 1504, y1: 0, x2: 1920, y2: 416 }]);
  });

  it('aims at motion and tracks only where they touch a zone', () => {
    const kerb = zone(0.45, 0.45, 0.55, 0.55);
    const crossing = { x1: 1000, y1: 500, x2: 1250, y2: 600 }; // the zone is x 864..1056
    const far = { x1: 0, y1: 0, x2: 50, y2: 50 };
    const moving = planRegions({ ...base, zones: [kerb], motion: [crossing, far] }, opts);
    expect(moving.regions).toHaveLength(1);
    const r = moving.regions[0];
    // One region, widened to hold both the zone and the object crossing its edge.
    expect([r.x1 <= 864, r.x2 >= 1250]).toEqual([true, true]);
    const tracked = planRegions({ ...base, zones: [kerb], tracks: [crossing, far] }, opts);
    expect(tracked.regions).toEqual(moving.regions);
    expect(planRegions({ ...base, zones: [kerb], motion: [far] }, opts).regions).toEqual(planRegions({ ...base, zones: [kerb] }, opts).regions);
  });

  it('merges contents that fit one slightly larger region, and keeps distant ones apart', () => {
    const a = zone(0.3, 0.4, 0.35, 0.45);
    const near = zone(0.45, 0.4, 0.5, 0.45); // together 384 px wide: one region
    const distant = zone(0.9, 0.9, 0.95, 0.95);
    const merged = planRegions({ ...base, zones: [a, near] }, opts);
    expect(merged.regions.map(side)).toEqual([[416, 416]]);
    const apart = planRegions({ ...base, zones: [a, distant] }, opts);
    expect(apart.regions).toHaveLength(2);
  });

  it('keeps at most maxRegions, zones first', () => {
    const zones = [zone(0, 0, 0.05, 0.05), zone(0.5, 0, 0.55, 0.05), zone(0.95, 0, 1, 0.05), zone(0, 0.95, 0.05, 1)];
    const plan = planRegions({ ...base, zones }, { ...opts, maxRegions: 2 });
    expect(plan.regions).toEqual([
      { x1: 0, y1: 0, x2: 416, y2: 416 },
      { x1: 800, y1: 0, x2: 1216, y2: 416 },
    ]);
  });

  it('runs a whole-frame pass on the first frame and then at the interval', () => {
    const z = { ...base, zones: [zone(0.45, 0.45, 0.55, 0.55)] };
    expect(planRegions({ ...z, lastWholeMs: undefined }, opts).whole).toBe(true);
    expect(planRegions({ ...z, tsMs: 10_999, lastWholeMs: 9_000 }, opts).whole).toBe(false);
    expect(planRegions({ ...z, tsMs: 11_000, lastWholeMs: 9_000 }, opts).whole).toBe(true);
    // A whole-frame pass replaces the frame's regions (one model run); the frames between run the regions.
    expect(planRegions({ ...z, lastWholeMs: undefined }, opts).regions).toEqual([]);
    expect(planRegions({ ...z, tsMs: 11_000, lastWholeMs: 9_000 }, opts).regions).toEqual([]);
    expect(planRegions({ ...z, tsMs: 10_999, lastWholeMs: 9_000 }, opts).regions).toHaveLength(1);
  });

  it('falls back to the whole frame with nothing to aim at, or when a region would be the frame', () => {
    expect(planRegions(base, opts)).toEqual({ whole: true, regions: [] });
    const small = { ...base, frame: { width: 416, height: 416 }, zones: [zone(0.4, 0.4, 0.5, 0.5)] };
    expect(planRegions(small, opts)).toEqual({ whole: true, regions: [] });
  });

  it('never makes a region smaller than the model input or minSize', () => {
    const z = { ...base, zones: [zone(0.45, 0.45, 0.46, 0.46)] };
    expect(planRegions({ ...z, modelInput: { width: 640, height: 640 } }, opts).regions.map(side)).toEqual([[640, 640]]);
    expect(planRegions(z, { ...opts, minSize: 512 }).regions.map(side)).toEqual([[512, 512]]);
  });

  it('refuses nonsense options', () => {
    expect(() => planRegions(base, { ...opts, maxRegions: 0 })).toThrow(/maxRegions/);
  });
});

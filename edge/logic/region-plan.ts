/**
 * Where the detector looks in a frame (region-based detection, as Frigate does). A whole 768 px
 * frame letterboxed to a 416 px model input shrinks to 54 %, and a car at the far kerb with it; a
 * crop around a zone, about the size of the model's input, is seen at full resolution. Regions aim
 * at the zones whose schedule is active, and at tracked objects and motion touching them (what
 * crosses a zone's edge); a whole-frame pass at an interval, instead of the regions of its frame,
 * still finds what comes from elsewhere.
 */
import type { PixelBox } from '../../detector/types.js';
import type { NormPoint } from './zones.js';

export interface RegionPlanOptions {
  /** At most this many regions per frame; what does not fit waits for the whole-frame pass. */
  maxRegions: number;
  /** Smallest region side in pixels (the model's input size is the floor when the frame allows). */
  minSize: number;
  wholeFrameEveryMs: number;
}

export interface RegionPlanInput {
  frame: { width: number; height: number };
  modelInput: { width: number; height: number };
  /** Polygons of the zones to watch, normalised 0..1. */
  zones: readonly (readonly NormPoint[])[];
  /** Tracked objects' boxes, frame pixels. */
  tracks: readonly PixelBox[];
  /** Where the frame moved, frame pixels. */
  motion: readonly PixelBox[];
  tsMs: number;
  /** When the last whole-frame pass ran; none yet: the first frame is one. */
  lastWholeMs?: number;
}

export interface RegionPlan {
  /** Run the detector on the whole frame (and on no region). */
  whole: boolean;
  /** Crops to run the detector on, integer frame pixels, inside the frame; none when `whole`. */
  regions: PixelBox[];
}

/**
 * Contents that fit together in a square this much larger than the region size share one region:
 * it is seen at ≥ 80 % of full resolution, for one model run instead of two (vtest's kerb and
 * plaza zones are one region so).
 */
const MERGE_GROWTH = 1.25;

export function planRegions(input: RegionPlanInput, opts: RegionPlanOptions): RegionPlan {
  const { frame } = input;
  if (!(opts.maxRegions >= 1) || !(opts.minSize >= 1)) throw new RangeError(`planRegions: maxRegions and minSize must be ≥ 1, got ${opts.maxRegions}, ${opts.minSize}`);
  const side = Math.min(Math.max(opts.minSize, input.modelInput.width, input.modelInput.height), frame.width, frame.height);
  const zoneBoxes = input.zones.map((polygon) => polygonBox(polygon, frame));
  const touchingZones = (b: PixelBox) => zoneBoxes.some((z) => overlaps(z, b));
  // Zones first: they are why the camera is watched; then what crosses their edges.
  const interest = [...zoneBoxes, ...input.tracks.filter(touchingZones), ...input.motion.filter(touchingZones)];

  const limit = side * MERGE_GROWTH;
  const contents: PixelBox[] = [];
  for (const b of interest) {
    const i = contents.findIndex((c) => {
      const u = union(c, b);
      return width(u) <= Math.max(limit, width(c)) && height(u) <= Math.max(limit, height(c));
    });
    if (i >= 0) contents[i] = union(contents[i], b);
    else if (contents.length < opts.maxRegions) contents.push(b);
  }

  const squares = contents.map((c) => squareAround(c, side, frame));
  // A region clamped at the frame's edge may end up inside another; a region as large as the
  // frame is the whole-frame pass.
  const regions = squares.filter((r, i) => !isWhole(r, frame) && !squares.some((o, j) => j !== i && contains(o, r) && (j < i || !contains(r, o))));
  const due = input.lastWholeMs === undefined || input.tsMs - input.lastWholeMs >= opts.wholeFrameEveryMs;
  // A whole-frame pass replaces its frame's regions: one model run per frame, never more. What only
  // a region resolves (a small vehicle far away) misses that one frame, which the tracker rides out
  // (a confirmed track keeps its id through gaps of up to tracking.maxGapSeconds; its box coasts at most 1 s).
  if (due || regions.length === 0 || squares.some((r) => isWhole(r, frame))) return { whole: true, regions: [] };
  return { whole: false, regions };
}

/** The smallest square of at least `side` (bigger if the contents are) centred on `c`, moved inside the frame. */
function squareAround(c: PixelBox, side: number, frame: { width: number; height: number }): PixelBox {
  const s = Math.max(side, width(c), height(c));
  const w = Math.min(frame.width, Math.round(s));
  const h = Math.min(frame.height, Math.round(s));
  const x1 = Math.min(frame.width - w, Math.max(0, Math.round((c.x1 + c.x2 - w) / 2)));
  const y1 = Math.min(frame.height - h, Math.max(0, Math.round((c.y1 + c.y2 - h) / 2)));
  return { x1, y1, x2: x1 + w, y2: y1 + h };
}

function polygonBox(polygon: readonly NormPoint[], frame: { width: number; height: number }): PixelBox {
  const xs = polygon.map(([x]) => x * frame.width);
  const ys = polygon.map(([, y]) => y * frame.height);
  return { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) };
}

const width = (b: PixelBox) => b.x2 - b.x1;
const height = (b: PixelBox) => b.y2 - b.y1;

function union(a: PixelBox, b: PixelBox): PixelBox {
  return { x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) };
}

function overlaps(a: PixelBox, b: PixelBox): boolean {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

function contains(outer: PixelBox, inner: PixelBox): boolean {
  return outer.x1 <= inner.x1 && outer.y1 <= inner.y1 && outer.x2 >= inner.x2 && outer.y2 >= inner.y2;
}

function isWhole(r: PixelBox, frame: { width: number; height: number }): boolean {
  return r.x1 <= 0 && r.y1 <= 0 && r.x2 >= frame.width && r.y2 >= frame.height;
}

/**
 * HyperLPR3 y5fu plate-detector head: output [1, N, 15], already decoded in network-input pixels.
 * Per row: cx, cy, w, h, objectness, four corners x/y (TL, TR, BR, BL), then the single-layer and
 * double-layer class scores (a softmax pair). Score = objectness × the better class score, as in
 * YOLOv5; on real plates the class pair is ~0.997/0.003, so this is close to objectness alone.
 */
import { toSourceBox, type LetterboxTransform } from '../letterbox.js';
import type { PixelBox } from '../types.js';
import type { PlateLocation, Point } from './types.js';

const STRIDE = 15;

/** A plate before NMS, in network-input pixels; `classId` only so the shared NMS can take it. */
export interface PlateCandidate extends PlateLocation {
  classId: 0;
}

export function decodeY5fu(data: Float32Array, dims: readonly number[], minScore: number): PlateCandidate[] {
  if (dims.length !== 3 || dims[0] !== 1 || dims[2] !== STRIDE) {
    throw new RangeError(`y5fu-plate decoder: output shape [${dims.join(', ')}] is not [1, N, ${STRIDE}]`);
  }
  const out: PlateCandidate[] = [];
  for (let o = 0; o < dims[1] * STRIDE; o += STRIDE) {
    if (data[o + 4] < minScore) continue; // cheap reject before the product (class score ≤ 1)
    const single = data[o + 13];
    const double = data[o + 14];
    const score = data[o + 4] * Math.max(single, double);
    if (score < minScore) continue;
    const hw = data[o + 2] / 2;
    const hh = data[o + 3] / 2;
    out.push({
      box: { x1: data[o] - hw, y1: data[o + 1] - hh, x2: data[o] + hw, y2: data[o + 1] + hh },
      corners: [0, 1, 2, 3].map((k) => ({ x: data[o + 5 + 2 * k], y: data[o + 6 + 2 * k] })) as PlateLocation['corners'],
      score,
      layers: double > single ? 2 : 1,
      classId: 0,
    });
  }
  return out;
}

/** Maps a candidate to source-frame pixels, box and corners clamped to `bounds` (the letterboxed region). */
export function toSourceLocation(c: PlateLocation, t: LetterboxTransform, bounds: PixelBox): PlateLocation {
  const point = (p: Point): Point => ({
    x: clamp(p.x / t.scaleX + t.offsetX, bounds.x1, bounds.x2),
    y: clamp(p.y / t.scaleY + t.offsetY, bounds.y1, bounds.y2),
  });
  const b = toSourceBox(c.box, t);
  return {
    box: { x1: clamp(b.x1, bounds.x1, bounds.x2), y1: clamp(b.y1, bounds.y1, bounds.y2), x2: clamp(b.x2, bounds.x1, bounds.x2), y2: clamp(b.y2, bounds.y1, bounds.y2) },
    corners: c.corners.map(point) as PlateLocation['corners'],
    score: c.score,
    layers: c.layers,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

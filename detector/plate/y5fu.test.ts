import { describe, expect, it } from 'vitest';
import type { LetterboxTransform } from '../letterbox.js';
import { decodeY5fu, toSourceLocation } from './y5fu.js';

/** A [1, N, 15] output from rows of [cx, cy, w, h, obj, 8 corner values, single, double]. */
function output(rows: number[][]): { data: Float32Array; dims: number[] } {
  return { data: Float32Array.from(rows.flat()), dims: [1, rows.length, 15] };
}

const CORNERS = [100, 60, 140, 50, 141, 70, 101, 80];

describe('decodeY5fu', () => {
  it('scores objectness × the better layer score, keeps the layer and the corners', () => {
    const { data, dims } = output([
      [120, 65, 42, 32, 0.9, ...CORNERS, 0.98, 0.02],
      [300, 200, 50, 40, 0.8, ...CORNERS, 0.3, 0.7], // double layer
      [10, 10, 5, 5, 0.45, ...CORNERS, 1, 0], // below 0.5 already on objectness
      [10, 10, 5, 5, 0.6, ...CORNERS, 0.55, 0.45], // 0.33 after the product
    ]);
    const out = decodeY5fu(data, dims, 0.5);
    expect(out).toHaveLength(2);
    expect(out[0].score).toBeCloseTo(0.882, 6);
    expect(out[0].layers).toBe(1);
    expect(out[0].box).toEqual({ x1: 99, y1: 49, x2: 141, y2: 81 });
    expect(out[0].corners).toEqual([{ x: 100, y: 60 }, { x: 140, y: 50 }, { x: 141, y: 70 }, { x: 101, y: 80 }]);
    expect(out[1].score).toBeCloseTo(0.56, 6);
    expect(out[1].layers).toBe(2);
  });

  it('refuses an output of another shape', () => {
    expect(() => decodeY5fu(new Float32Array(14), [1, 1, 14], 0.5)).toThrow(/\[1, 1, 14\] is not \[1, N, 15\]/);
  });
});

describe('toSourceLocation', () => {
  // A 640-input detector on the region x 590..1890, y 330..985 of a frame: scale 640/1300.
  const s = 640 / 1300;
  const t: LetterboxTransform = { scaleX: s, scaleY: s, offsetX: 590, offsetY: 330, contentWidth: 640, contentHeight: 322 };
  const region = { x1: 590, y1: 330, x2: 1890, y2: 985 };

  it('maps box and corners to frame pixels: input / scale + region offset', () => {
    const [c] = decodeY5fu(output([[620, 220, 60, 60, 0.9, 575, 208, 632, 188, 632, 223, 575, 243, 1, 0]]).data, [1, 1, 15], 0.5);
    const loc = toSourceLocation(c, t, region);
    expect(loc.box.x1).toBeCloseTo(590 + 590 / s, 6);
    expect(loc.box.y2).toBeCloseTo(330 + 250 / s, 6);
    expect(loc.corners[0].x).toBeCloseTo(590 + 575 / s, 6);
    expect(loc.corners[1].y).toBeCloseTo(330 + 188 / s, 6);
    expect(loc.corners[3].y).toBeCloseTo(330 + 243 / s, 6);
    expect(loc.score).toBeCloseTo(0.9, 6);
    expect(loc.layers).toBe(1);
  });

  it('clamps what sticks out of the region to its edges', () => {
    const [c] = decodeY5fu(output([[635, 5, 20, 20, 0.9, 625, -4, 650, -3, 650, 15, 625, 15, 1, 0]]).data, [1, 1, 15], 0.5);
    const loc = toSourceLocation(c, t, region);
    expect(loc.box.x2).toBe(1890);
    expect(loc.box.y1).toBe(330);
    expect(loc.corners[1]).toEqual({ x: 1890, y: 330 });
  });
});

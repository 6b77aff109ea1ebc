import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../types.js';
import { applyHomography, rectQuad, solveHomography, type Quad } from './homography.js';
import { rectifyPlate, warpInto } from './rectify.js';

/** A frame whose pixel (x, y) is `px(x, y)`. */
function frame(width: number, height: number, px: (x: number, y: number) => [number, number, number]): RgbFrame {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(px(x, y), (y * width + x) * 3);
  return { width, height, data };
}

const pixel = (f: RgbFrame, x: number, y: number) => [...f.data.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3)];

describe('warpInto', () => {
  it('copies an axis-aligned quad pixel for pixel', () => {
    const src = frame(20, 10, (x, y) => [x * 10, y * 20, 7]);
    const out = frame(8, 4, () => [0, 0, 0]);
    warpInto(src, rectQuad(8, 4, 5, 3), out, 0, 8);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) expect(pixel(out, x, y)).toEqual([(x + 5) * 10, (y + 3) * 20, 7]);
  });

  it('undoes a perspective distortion: each output pixel samples where the homography sends it', () => {
    // A smooth image, so bilinear sampling is exact up to rounding.
    const src = frame(200, 120, (x, y) => [x, y * 2, (x + y) % 256]);
    const quad: Quad = [{ x: 30, y: 40 }, { x: 170, y: 15 }, { x: 160, y: 95 }, { x: 40, y: 105 }];
    const out = frame(64, 20, () => [0, 0, 0]);
    warpInto(src, quad, out, 0, 64);
    const h = solveHomography(rectQuad(64, 20), quad);
    for (const [u, v] of [[0, 0], [63, 0], [63, 19], [0, 19], [31, 9]]) {
      const p = applyHomography(h, { x: u + 0.5, y: v + 0.5 });
      const [r, g] = pixel(out, u, v);
      // r = x and g = 2y of the sampled position, up to rounding to a byte.
      expect(Math.abs(r - (p.x - 0.5))).toBeLessThanOrEqual(0.5);
      expect(Math.abs(g - 2 * (p.y - 0.5))).toBeLessThanOrEqual(0.5);
    }
  });
});

describe('rectifyPlate', () => {
  it('makes a 48-pixel-high plate image of a fixed plate shape, whatever the corners look like', () => {
    const src = frame(100, 100, () => [10, 20, 30]);
    const img = rectifyPlate(src, [{ x: 10, y: 10 }, { x: 40, y: 20 }, { x: 40, y: 60 }, { x: 10, y: 50 }], 1);
    expect([img.width, img.height]).toEqual([160, 48]);
    expect(pixel(img, 80, 24)).toEqual([10, 20, 30]);
  });

  it('puts the top band of a double-layer plate left of the bottom band', () => {
    // Rows 0-29 red (province + office letter), 30-89 blue (serial), 90 px high plate in all.
    const src = frame(200, 90, (_, y) => (y < 30 ? [255, 0, 0] : [0, 0, 255]));
    const img = rectifyPlate(src, rectQuad(180, 90, 10, 0) as Quad, 2);
    expect([img.width, img.height]).toEqual([288, 48]);
    // Top band = rows 0..37.5 (5/12): red above row 30, i.e. the upper 4/5 of the left half.
    expect(pixel(img, 72, 10)).toEqual([255, 0, 0]);
    // Bottom band = rows 30..90: all blue.
    for (const y of [1, 24, 46]) expect(pixel(img, 216, y)).toEqual([0, 0, 255]);
  });
});

import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../../../detector/types.js';
import { lumaGrid } from './luma-grid.js';

/** A frame of pseudo-random pixels (fixed seed). */
function noiseFrame(width: number, height: number, seed = 7): RgbFrame {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, data };
}

/** The grid as its definition reads: each cell the mean grey of the samples (every other pixel and row) inside it. */
function meanPerCell(frame: RgbFrame, cols: number): Float32Array {
  const cellW = frame.width / cols;
  const rows = Math.max(1, Math.round(frame.height / cellW));
  const cellH = frame.height / rows;
  const sums = new Array<number>(cols * rows).fill(0);
  const counts = new Array<number>(cols * rows).fill(0);
  for (let y = 0; y < frame.height; y += 2) {
    for (let x = 0; x < frame.width; x += 2) {
      const cell = Math.min(rows - 1, Math.floor(y / cellH)) * cols + Math.min(cols - 1, Math.floor(x / cellW));
      const i = (y * frame.width + x) * 3;
      sums[cell] += (77 * frame.data[i] + 150 * frame.data[i + 1] + 29 * frame.data[i + 2]) >> 8;
      counts[cell]++;
    }
  }
  return Float32Array.from(sums, (s, c) => s / Math.max(1, counts[c]));
}

describe('lumaGrid', () => {
  it.each([
    [768, 576, 96],
    [1920, 1080, 96],
    [641, 479, 50], // odd sizes: cells of uneven sample counts
    [100, 60, 64], // cells narrower than 2 px: some take no sample
  ])('is the mean grey of the samples in each cell (%ix%i, %i columns)', (width, height, cols) => {
    const frame = noiseFrame(width, height);
    const grid = lumaGrid(frame, cols);
    expect(grid.luma).toEqual(meanPerCell(frame, cols));
    expect(grid.cols * grid.rows).toBe(grid.luma.length);
  });

  it('tells frames of one size apart (its layout is built once per size)', () => {
    const a = lumaGrid(noiseFrame(768, 576, 1), 96).luma;
    const b = lumaGrid(noiseFrame(768, 576, 2), 96).luma;
    expect(a).not.toEqual(b);
    expect(lumaGrid(noiseFrame(768, 576, 1), 96).luma).toEqual(a);
  });
});

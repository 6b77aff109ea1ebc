import { describe, expect, it } from 'vitest';
import type { LumaGrid } from './luma-grid.js';
import { outlineContrast, wasRemoved } from './removed-object.js';

const COLS = 12;
const ROWS = 10;
const grid: LumaGrid = { cols: COLS, rows: ROWS, cellW: 8, cellH: 8, luma: new Float32Array(COLS * ROWS) };
/** Cells of rows 3..5, columns 4..7. */
const inBox = (c: number) => Math.floor(c / COLS) >= 3 && Math.floor(c / COLS) <= 5 && c % COLS >= 4 && c % COLS <= 7;
const region = Uint8Array.from({ length: COLS * ROWS }, (_, c) => (inBox(c) ? 1 : 0));
const all = new Uint8Array(COLS * ROWS).fill(1);
/** Paving of 100 ± 6 (a fixed ripple); `box` grey inside the box, when given. */
const picture = (box?: number) => Float32Array.from({ length: COLS * ROWS }, (_, c) => (box !== undefined && inBox(c) ? box : 100 + 6 * Math.sin(c * 1.7)));

describe('outlineContrast', () => {
  it('is the mean step across the outline between visible cells', () => {
    expect(outlineContrast(grid, region, all, picture(180))).toBeGreaterThan(70);
    expect(outlineContrast(grid, region, all, picture())).toBeLessThan(12);
    expect(outlineContrast(grid, region, new Uint8Array(COLS * ROWS), picture(180))).toBe(0);
  });
});

describe('wasRemoved', () => {
  it('an object put down stands out in the current picture: new; the place of one taken away stands out in the scene: removed', () => {
    expect(wasRemoved(grid, region, all, picture(180), picture())).toBe(false);
    expect(wasRemoved(grid, region, all, picture(), picture(180))).toBe(true);
    expect(wasRemoved(grid, region, all, picture(30), picture())).toBe(false);
  });

  it('an object swapped for another one about as contrasted is new', () => {
    expect(wasRemoved(grid, region, all, picture(40), picture(180))).toBe(false);
  });
});

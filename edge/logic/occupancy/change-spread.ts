import type { LumaGrid } from './luma-grid.js';

/** The picture is split into BLOCKS × BLOCKS blocks to tell a change over all of it from one in a part. */
const BLOCKS = 4;
/** A block mostly under tracked objects says nothing about the picture: left out. */
const MIN_VISIBLE = 0.25;

/**
 * Share of the blocks of the picture in which at least `minShare` of the visible cells changed.
 * A moved camera changes the picture everywhere and touches (nearly) all of them; one object, however
 * big, changes one compact part: narrower and lower than half the picture, it touches at most 3 × 3 of 16.
 */
export function changeSpread(grid: LumaGrid, changed: Uint8Array, covered: Uint8Array, minShare: number): number {
  const visible = new Uint32Array(BLOCKS * BLOCKS);
  const hits = new Uint32Array(BLOCKS * BLOCKS);
  for (let r = 0; r < grid.rows; r++) {
    const br = Math.floor((r * BLOCKS) / grid.rows) * BLOCKS;
    for (let c = 0; c < grid.cols; c++) {
      const i = r * grid.cols + c;
      if (covered[i]) continue;
      const b = br + Math.floor((c * BLOCKS) / grid.cols);
      visible[b]++;
      hits[b] += changed[i];
    }
  }
  const cellsPerBlock = (grid.cols * grid.rows) / (BLOCKS * BLOCKS);
  let blocks = 0;
  let spread = 0;
  for (let b = 0; b < visible.length; b++) {
    if (visible[b] < MIN_VISIBLE * cellsPerBlock) continue;
    blocks++;
    if (hits[b] >= minShare * visible[b]) spread++;
  }
  return blocks ? spread / blocks : 0;
}

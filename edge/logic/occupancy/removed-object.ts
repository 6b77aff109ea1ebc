import type { LumaGrid } from './luma-grid.js';

/**
 * How much more an outline must stand out in the learnt scene than in the current picture for its
 * region to be something taken away: a real new object whose outline is faint (grey on grey) stays new.
 */
const REMOVED_RATIO = 1.5;

/**
 * Mean grey-level step in `picture` across the outline of `region`: between each region cell and each
 * of its 4-neighbours outside it, both `visible`.
 */
export function outlineContrast(grid: LumaGrid, region: Uint8Array, visible: Uint8Array, picture: Float32Array): number {
  const { cols, rows } = grid;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < region.length; i++) {
    if (!region[i] || !visible[i]) continue;
    const r = Math.floor(i / cols);
    const c = i - r * cols;
    for (const [rr, cc] of [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]] as const) {
      if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
      const j = rr * cols + cc;
      if (region[j] || !visible[j]) continue;
      sum += Math.abs(picture[i] - picture[j]);
      n++;
    }
  }
  return n ? sum / n : 0;
}

/**
 * The classic abandoned-or-removed test on a region that differs from the learnt scene: an object
 * put down has its outline in the current picture (it stands out from the pavement around it), the
 * place of an object taken away has it in the learnt scene only (the pavement now matches its
 * surroundings). True: taken away, the region is pavement the scene should learn.
 */
export function wasRemoved(grid: LumaGrid, region: Uint8Array, visible: Uint8Array, current: Float32Array, scene: Float32Array): boolean {
  return outlineContrast(grid, region, visible, scene) > REMOVED_RATIO * outlineContrast(grid, region, visible, current);
}

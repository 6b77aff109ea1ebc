import type { PixelBox, RgbFrame } from '../../../detector/types.js';

/** A frame reduced to the mean grey level of each cell of a coarse grid (row-major). */
export interface LumaGrid {
  cols: number;
  rows: number;
  /** Cell size in frame pixels. */
  cellW: number;
  cellH: number;
  luma: Float32Array;
}

/**
 * Mean luma per cell, read on every other pixel and row: a cell mean averages sensor noise and rain
 * away, which a point sample (as the motion gate takes) would not. Integer BT.601 weights (77, 150,
 * 29)/256 and a per-column cell table keep the per-pixel work to adds and one shift: this loop is
 * most of what occupancy costs a camera (bench/README.md).
 */
export function lumaGrid(frame: RgbFrame, cols: number): LumaGrid {
  const { width, height, data } = frame;
  const cellW = width / cols;
  const rows = Math.max(1, Math.round(height / cellW));
  const cellH = height / rows;
  const cellOfX = columnCells(width, cols, cellW);
  const sums = new Uint32Array(cols * rows);
  const counts = new Uint32Array(cols * rows);
  for (let y = 0; y < height; y += 2) {
    const row = Math.min(rows - 1, Math.floor(y / cellH)) * cols;
    let i = y * width * 3;
    for (let x = 0; x < width; x += 2, i += 6) {
      const cell = row + cellOfX[x >> 1];
      sums[cell] += (77 * data[i] + 150 * data[i + 1] + 29 * data[i + 2]) >> 8;
      counts[cell]++;
    }
  }
  const luma = new Float32Array(cols * rows);
  for (let c = 0; c < luma.length; c++) luma[c] = sums[c] / Math.max(1, counts[c]);
  return { cols, rows, cellW, cellH, luma };
}

let cachedCells: { width: number; cols: number; cells: Uint16Array } | null = null;

/** The grid column of every other pixel of a row; a camera's frames keep one size, so it is built once. */
function columnCells(width: number, cols: number, cellW: number): Uint16Array {
  if (cachedCells?.width === width && cachedCells.cols === cols) return cachedCells.cells;
  const cells = new Uint16Array(Math.ceil(width / 2));
  for (let x = 0; x < width; x += 2) cells[x >> 1] = Math.min(cols - 1, Math.floor(x / cellW));
  cachedCells = { width, cols, cells };
  return cells;
}

/** Marks (1) every cell a box touches, each box first grown by `pad` of its width/height on every side. */
export function markBoxes(grid: LumaGrid, boxes: readonly PixelBox[], pad = 0, into = new Uint8Array(grid.cols * grid.rows)): Uint8Array {
  for (const b of boxes) {
    const px = (b.x2 - b.x1) * pad;
    const py = (b.y2 - b.y1) * pad;
    const c1 = Math.max(0, Math.floor((b.x1 - px) / grid.cellW));
    const c2 = Math.min(grid.cols - 1, Math.floor((b.x2 + px) / grid.cellW));
    const r1 = Math.max(0, Math.floor((b.y1 - py) / grid.cellH));
    const r2 = Math.min(grid.rows - 1, Math.floor((b.y2 + py) / grid.cellH));
    for (let r = r1; r <= r2; r++) into.fill(1, r * grid.cols + c1, r * grid.cols + c2 + 1);
  }
  return into;
}

/** A group of 8-connected marked cells: its size in cells and its box in frame pixels. */
export interface Component {
  cells: number;
  box: PixelBox;
}

/** The 8-connected components of the marked cells. */
export function components(grid: LumaGrid, mask: Uint8Array): Component[] {
  const { cols, rows, cellW, cellH } = grid;
  const seen = new Uint8Array(mask.length);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    seen[start] = 1;
    stack.push(start);
    let cells = 0;
    let c1 = cols, c2 = -1, r1 = rows, r2 = -1;
    while (stack.length) {
      const i = stack.pop()!;
      const r = Math.floor(i / cols);
      const c = i - r * cols;
      cells++;
      c1 = Math.min(c1, c); c2 = Math.max(c2, c); r1 = Math.min(r1, r); r2 = Math.max(r2, r);
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          const rr = r + dr;
          const cc = c + dc;
          if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
          const j = rr * cols + cc;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    out.push({ cells, box: { x1: c1 * cellW, y1: r1 * cellH, x2: (c2 + 1) * cellW, y2: (r2 + 1) * cellH } });
  }
  return out;
}

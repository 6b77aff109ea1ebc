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
 * 29)/256 keep the per-pixel work to multiply-adds and one shift. This loop is most of what
 * occupancy costs a camera (bench/README.md), so a row's samples are summed cell by cell into a
 * local (one store per cell, not per pixel), and the cell spans and sample counts, fixed by the
 * frame size, are worked out once (`layoutOf`).
 */
export function lumaGrid(frame: RgbFrame, cols: number): LumaGrid {
  const { width, height, data } = frame;
  const { rows, cellW, cellH, colEnd, rowOf, counts } = layoutOf(width, height, cols);
  const sums = new Uint32Array(cols * rows);
  for (let y = 0; y < height; y += 2) {
    const row = rowOf[y >> 1] * cols;
    let i = y * width * 3;
    let x = 0;
    for (let c = 0; c < cols; c++) {
      const end = colEnd[c];
      let sum = 0;
      for (; x < end; x++, i += 6) sum += (77 * data[i] + 150 * data[i + 1] + 29 * data[i + 2]) >> 8;
      sums[row + c] += sum;
    }
  }
  const luma = new Float32Array(cols * rows);
  for (let c = 0; c < luma.length; c++) luma[c] = sums[c] / counts[c];
  return { cols, rows, cellW, cellH, luma };
}

/** Where a frame size's samples (every other pixel of every other row) fall in the grid. */
interface GridLayout {
  width: number;
  height: number;
  cols: number;
  rows: number;
  cellW: number;
  cellH: number;
  /** Per grid column: the index (x / 2) of the first sample of a row past it; columns are contiguous runs of samples. */
  colEnd: Uint32Array;
  /** Per sampled row (y / 2): its grid row. */
  rowOf: Uint16Array;
  /** Samples per cell (at least 1: a cell no sample falls in reads 0). */
  counts: Uint32Array;
}

let cachedLayout: GridLayout | null = null;

/** A camera's frames keep one size: its layout is built once. */
function layoutOf(width: number, height: number, cols: number): GridLayout {
  const l = cachedLayout;
  if (l?.width === width && l.height === height && l.cols === cols) return l;
  const cellW = width / cols;
  const rows = Math.max(1, Math.round(height / cellW));
  const cellH = height / rows;
  const perCol = new Uint32Array(cols);
  const colEnd = new Uint32Array(cols);
  for (let x = 0; x < width; x += 2) {
    const c = Math.min(cols - 1, Math.floor(x / cellW));
    perCol[c]++;
    colEnd[c] = (x >> 1) + 1;
  }
  // A column no sample falls in (cells narrower than 2 px) ends where the one before it does.
  for (let c = 1; c < cols; c++) colEnd[c] = Math.max(colEnd[c], colEnd[c - 1]);
  const perRow = new Uint32Array(rows);
  const rowOf = new Uint16Array(Math.ceil(height / 2));
  for (let y = 0; y < height; y += 2) {
    const r = Math.min(rows - 1, Math.floor(y / cellH));
    rowOf[y >> 1] = r;
    perRow[r]++;
  }
  const counts = new Uint32Array(cols * rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) counts[r * cols + c] = Math.max(1, perRow[r] * perCol[c]);
  cachedLayout = { width, height, cols, rows, cellW, cellH, colEnd, rowOf, counts };
  return cachedLayout;
}

/** Marks (1) every cell a box touches, each box first grown by `pad` of its width/height on every side. */
export function markBoxes(grid: LumaGrid, boxes: readonly PixelBox[], pad = 0, into = new Uint8Array(grid.cols * grid.rows)): Uint8Array {
  for (const b of boxes) {
    const { c1, c2, r1, r2 } = cellsOf(grid, b, pad);
    for (let r = r1; r <= r2; r++) into.fill(1, r * grid.cols + c1, r * grid.cols + c2 + 1);
  }
  return into;
}

/** The columns c1..c2 and rows r1..r2 (inclusive, inside the grid) of the cells a box grown by `pad` touches. */
export function cellsOf(grid: LumaGrid, b: PixelBox, pad = 0): { c1: number; c2: number; r1: number; r2: number } {
  const px = (b.x2 - b.x1) * pad;
  const py = (b.y2 - b.y1) * pad;
  return {
    c1: Math.max(0, Math.floor((b.x1 - px) / grid.cellW)),
    c2: Math.min(grid.cols - 1, Math.floor((b.x2 + px) / grid.cellW)),
    r1: Math.max(0, Math.floor((b.y1 - py) / grid.cellH)),
    r2: Math.min(grid.rows - 1, Math.floor((b.y2 + py) / grid.cellH)),
  };
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

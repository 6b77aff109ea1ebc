/** Plane-to-plane perspective transforms (3×3 homographies) from four point pairs. */
import type { Point } from './types.js';

export type Quad = readonly [Point, Point, Point, Point];

/** Row-major 3×3 matrix with h[8] = 1. */
export type Homography = Float64Array;

/**
 * The homography mapping each `from[i]` exactly onto `to[i]`: the 8×8 linear system of the four
 * correspondences, solved by Gaussian elimination with partial pivoting. Throws when three `from`
 * points are on a line (no perspective map of them onto a proper quad exists).
 */
export function solveHomography(from: Quad, to: Quad): Homography {
  // Unknowns h0..h7; per pair: x' = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), same for y' with h3..h5.
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const { x, y } = from[i];
    const { x: u, y: v } = to[i];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-12) throw new RangeError('solveHomography: degenerate quadrilateral (three points on a line)');
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      if (f !== 0) for (let c = col; c < 9; c++) a[r][c] -= f * a[col][c];
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = a[i][8] / a[i][i];
  h[8] = 1;
  return h;
}

export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6] * p.x + h[7] * p.y + h[8];
  return { x: (h[0] * p.x + h[1] * p.y + h[2]) / w, y: (h[3] * p.x + h[4] * p.y + h[5]) / w };
}

/** Corners of the axis-aligned rectangle (0,0)–(width,height), in plate corner order (TL, TR, BR, BL). */
export function rectQuad(width: number, height: number, x = 0, y = 0): Quad {
  return [
    { x, y },
    { x: x + width, y },
    { x: x + width, y: y + height },
    { x, y: y + height },
  ];
}

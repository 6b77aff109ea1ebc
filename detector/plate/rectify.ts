/**
 * Plate corners → an upright plate image for the recogniser: a perspective warp of the corner
 * quadrilateral, bilinear sampling of the RGB frame. A tilted or obliquely seen plate read from an
 * axis-aligned crop reads badly; warped, its characters are upright and evenly sized.
 */
import type { RgbFrame } from '../types.js';
import { applyHomography, rectQuad, solveHomography, type Quad } from './homography.js';

/**
 * Width/height of a single-layer plate image: between 440×140 mm plates and 480×140 mm new-energy
 * ones. A fixed shape, not the corners' apparent one, undoes the foreshortening of a plate seen
 * at an angle (on street-1 the plate looks 1.7:1).
 */
const PLATE_ASPECT = 3.33;

// Double-layer plates (HyperLPR's split): the top 5/12 holds province + office letter, the bottom
// two thirds the serial; both bands are warped to the same size and read side by side as one line.
const TOP_LAYER = [0, 5 / 12] as const;
const BOTTOM_LAYER = [1 / 3, 1] as const;
/** Each band of a 440×220 mm double-layer plate is about 3:1 once the overlap is cut. */
const LAYER_ASPECT = 3;

/** The plate image, `height` pixels high; double-layer plates come out as their two bands side by side. */
export function rectifyPlate(frame: RgbFrame, corners: Quad, layers: 1 | 2, height = 48): RgbFrame {
  if (layers === 1) {
    const out = blank(Math.round(height * PLATE_ASPECT), height);
    warpInto(frame, corners, out, 0, out.width);
    return out;
  }
  const band = Math.round(height * LAYER_ASPECT);
  const out = blank(2 * band, height);
  warpInto(frame, subQuad(corners, TOP_LAYER), out, 0, band);
  warpInto(frame, subQuad(corners, BOTTOM_LAYER), out, band, band);
  return out;
}

function blank(width: number, height: number): RgbFrame {
  return { width, height, data: Buffer.alloc(width * height * 3) };
}

/** The part of the plate between fractions `top` and `bottom` of its height, following the perspective. */
function subQuad(quad: Quad, [top, bottom]: readonly [number, number]): Quad {
  const h = solveHomography(rectQuad(1, 1), quad);
  return rectQuad(1, bottom - top, 0, top).map((p) => applyHomography(h, p)) as unknown as Quad;
}

/**
 * Fills columns [x0, x0 + width) of `out` with `quad` of `frame` warped upright. Pixel centres
 * are sampled (continuous coordinates, pixel i spans [i, i+1)); outside the frame the edge repeats.
 */
export function warpInto(frame: RgbFrame, quad: Quad, out: RgbFrame, x0: number, width: number): void {
  const h = solveHomography(rectQuad(width, out.height), quad);
  const src = frame.data;
  const fw = frame.width;
  const maxX = frame.width - 1;
  const maxY = frame.height - 1;
  for (let v = 0; v < out.height; v++) {
    for (let u = 0; u < width; u++) {
      const cx = u + 0.5;
      const cy = v + 0.5;
      const w = h[6] * cx + h[7] * cy + h[8];
      const sx = clamp((h[0] * cx + h[1] * cy + h[2]) / w - 0.5, 0, maxX);
      const sy = clamp((h[3] * cx + h[4] * cy + h[5]) / w - 0.5, 0, maxY);
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      const fx = sx - ix;
      const fy = sy - iy;
      // Neighbours right and below; on the last column/row (weight 0) the pixel itself.
      const a = (iy * fw + ix) * 3;
      const b = ix < maxX ? a + 3 : a;
      const c = iy < maxY ? a + fw * 3 : a;
      const d = c + (b - a);
      const o = (v * out.width + x0 + u) * 3;
      for (let k = 0; k < 3; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * fx;
        const bottom = src[c + k] + (src[d + k] - src[c + k]) * fx;
        out.data[o + k] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

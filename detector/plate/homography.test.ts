import { describe, expect, it } from 'vitest';
import { applyHomography, rectQuad, solveHomography, type Quad } from './homography.js';

// A plate seen from the side and rotated: no two edges parallel.
const PLATE: Quad = [
  { x: 1752.4, y: 782.8 },
  { x: 1867.4, y: 742.4 },
  { x: 1866.8, y: 813.8 },
  { x: 1751.7, y: 854.8 },
];

describe('solveHomography', () => {
  it('maps each of the four corners exactly onto its partner', () => {
    const h = solveHomography(rectQuad(160, 48), PLATE);
    rectQuad(160, 48).forEach((p, i) => {
      const q = applyHomography(h, p);
      expect(q.x).toBeCloseTo(PLATE[i].x, 9);
      expect(q.y).toBeCloseTo(PLATE[i].y, 9);
    });
  });

  it('is the identity for a quad onto itself and inverts when the sides swap', () => {
    const id = solveHomography(PLATE, PLATE);
    expect(Array.from(id, (v) => Number(v.toFixed(9)) + 0)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const there = solveHomography(rectQuad(160, 48), PLATE);
    const back = solveHomography(PLATE, rectQuad(160, 48));
    const p = applyHomography(back, applyHomography(there, { x: 37, y: 11 }));
    expect(p.x).toBeCloseTo(37, 9);
    expect(p.y).toBeCloseTo(11, 9);
  });

  it('keeps straight lines straight: the middle of an edge stays on that edge', () => {
    const h = solveHomography(rectQuad(1, 1), PLATE);
    const mid = applyHomography(h, { x: 0.5, y: 0 });
    const [a, b] = PLATE;
    const cross = (b.x - a.x) * (mid.y - a.y) - (b.y - a.y) * (mid.x - a.x);
    expect(Math.abs(cross)).toBeLessThan(1e-6);
  });

  it('refuses to map from a quad with three points on a line', () => {
    const flat: Quad = [{ x: 0, y: 0 }, { x: 5, y: 5 }, { x: 10, y: 10 }, { x: 0, y: 10 }];
    expect(() => solveHomography(flat, rectQuad(1, 1))).toThrow(/degenerate/);
  });
});

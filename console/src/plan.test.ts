import { describe, expect, it } from 'vitest';
import { fitProjection, scaleBarMetres } from './plan';

describe('camera plan', () => {
  it('puts north up and east right, to scale, inside the padding', () => {
    const a = { lat: 31.23, long: 121.47 };
    const b = { lat: 31.24, long: 121.48 }; // north-east of a
    const p = fitProjection([a, b], 1000, 700, 50);
    const [pa, pb] = [p.project(a), p.project(b)];
    expect(pb.x).toBeGreaterThan(pa.x);
    expect(pb.y).toBeLessThan(pa.y);
    for (const q of [pa, pb]) {
      expect(q.x).toBeGreaterThanOrEqual(50 - 1e-9);
      expect(q.x).toBeLessThanOrEqual(950 + 1e-9);
      expect(q.y).toBeGreaterThanOrEqual(50 - 1e-9);
      expect(q.y).toBeLessThanOrEqual(650 + 1e-9);
    }
    // 0.01° of latitude is about 1113 m; east-west is shorter by cos(latitude).
    expect((pa.y - pb.y) / p.unitsPerMetre).toBeCloseTo(1113.2, 0);
    expect((pb.x - pa.x) / p.unitsPerMetre).toBeCloseTo(1113.2 * Math.cos((31.235 * Math.PI) / 180), 0);
  });

  it('centres a single camera', () => {
    const p = fitProjection([{ lat: 31.2304, long: 121.4737 }], 1000, 700, 50);
    expect(p.project({ lat: 31.2304, long: 121.4737 })).toEqual({ x: 500, y: 350 });
  });

  it('picks a round scale bar', () => {
    expect(scaleBarMetres(1, 200)).toBe(200);
    expect(scaleBarMetres(0.5, 200)).toBe(200);
    expect(scaleBarMetres(2.7, 200)).toBe(50);
    expect(scaleBarMetres(0.01, 200)).toBe(20_000);
  });
});

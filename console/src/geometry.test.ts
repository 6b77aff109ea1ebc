import { describe, expect, it } from 'vitest';
import { edgeMidpoints, nextZoneId, polygonProblem, toFrame, type Point } from './geometry';

describe('zone polygons', () => {
  it('accepts a simple polygon and names what the box would refuse', () => {
    const square: Point[] = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]];
    expect(polygonProblem(square)).toBeNull();
    expect(polygonProblem(square.slice(0, 2))).toBe('too_few_points');
    expect(polygonProblem([[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]])).toBe('edges_cross');
    expect(polygonProblem([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]])).toBe('zero_area');
  });

  it('turns a click into frame coordinates, clamped to the photo', () => {
    const rect = { left: 100, top: 50, width: 800, height: 600 };
    expect(toFrame(500, 350, rect)).toEqual([0.5, 0.5]);
    expect(toFrame(50, 700, rect)).toEqual([0, 1]);
    expect(toFrame(100 + 800 / 3, 50, rect)).toEqual([0.3333, 0]);
  });

  it('offers a midpoint on every edge, and fresh zone ids', () => {
    expect(edgeMidpoints([[0, 0], [1, 0], [1, 1]])).toEqual([[0.5, 0], [1, 0.5], [0.5, 0.5]]);
    expect(nextZoneId([])).toBe('zone-1');
    expect(nextZoneId(['zone-1', 'kerb', 'zone-3'])).toBe('zone-2');
  });
});

import { describe, expect, it } from 'vitest';
import { iou, nms } from './nms.js';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint or touching ones', () => {
    expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0);
    expect(iou(box(0, 0, 10, 10), box(0, 0, 0, 0))).toBe(0);
  });

  it('is intersection over union', () => {
    // 5x10 overlap = 50; union 100 + 100 - 50 = 150.
    expect(iou(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(1 / 3, 12);
  });
});

describe('nms', () => {
  const a = { box: box(0, 0, 10, 10), classId: 2, score: 0.9 };
  const b = { box: box(1, 1, 11, 11), classId: 2, score: 0.8 }; // iou 0.68 with a
  const c = { box: box(1, 0, 11, 10), classId: 7, score: 0.7 }; // same place, another class
  const d = { box: box(30, 30, 40, 40), classId: 2, score: 0.6 }; // elsewhere

  it('drops a lower-scoring overlapping box of the same class, keeps other classes and far boxes', () => {
    expect(nms([d, c, b, a], 0.45)).toEqual([a, c, d]);
  });

  it('keeps overlapping boxes below the IoU threshold', () => {
    expect(nms([a, b], 0.7)).toEqual([a, b]);
  });

  it('suppresses across classes of one group', () => {
    const groups = Int32Array.from({ length: 8 }, (_, i) => (i === 7 ? 2 : i));
    expect(nms([a, c, d], 0.45, groups)).toEqual([a, d]);
  });
});

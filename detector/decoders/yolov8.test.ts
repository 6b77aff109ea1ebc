import { describe, expect, it } from 'vitest';
import { decodeYolov8 } from './yolov8.js';

describe('decodeYolov8', () => {
  // 2 classes, 3 anchors, channel-major [1, 6, 3]: rows cx, cy, w, h, class 0, class 1; anchor i = column i.
  const data = Float32Array.from([
    [100, 50, 10],
    [200, 60, 10],
    [40, 20, 4],
    [80, 10, 4],
    [0.1, 0.7, 0.2],
    [0.9, 0.6, 0.1],
  ].flat());

  it('reads boxes in input pixels and the best class, without objectness', () => {
    const out = decodeYolov8(data, [1, 6, 3], { inputWidth: 640, inputHeight: 640, numClasses: 2, minScore: 0.25 });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ box: { x1: 80, y1: 160, x2: 120, y2: 240 }, classId: 1 });
    expect(out[0].score).toBeCloseTo(0.9, 6);
    expect(out[1]).toMatchObject({ box: { x1: 40, y1: 55, x2: 60, y2: 65 }, classId: 0 });
    expect(out[1].score).toBeCloseTo(0.7, 6);
  });

  it('refuses an output whose channel count does not fit the classes', () => {
    expect(() => decodeYolov8(data, [1, 3, 6], { inputWidth: 640, inputHeight: 640, numClasses: 2, minScore: 0.25 })).toThrow(
      /\[1, 3, 6\] is not \[1, 6, anchors\]/,
    );
  });
});

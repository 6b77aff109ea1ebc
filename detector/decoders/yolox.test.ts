import { describe, expect, it } from 'vitest';
import { decodeYolox } from './yolox.js';

// 64x64 input: grids 8x8 (stride 8), 4x4 (16), 2x2 (32) = 84 anchors; 3 classes → 8 values each.
const C = 3;
const N = 64 + 16 + 4;
const params = { inputWidth: 64, inputHeight: 64, numClasses: C, minScore: 0.25 };

function tensor(set: Record<number, number[]>): Float32Array {
  const t = new Float32Array(N * (5 + C));
  for (const [anchor, values] of Object.entries(set)) t.set(values, Number(anchor) * (5 + C));
  return t;
}

describe('decodeYolox', () => {
  it('decodes grid offsets, exp sizes and obj*cls scores per stride', () => {
    const data = tensor({
      // stride 16, gx 1, gy 2 → anchor 64 + 2*4 + 1; centre (1.5*16, 2.25*16), size (2*16, 1*16)
      73: [0.5, 0.25, Math.log(2), 0, 0.9, 0.1, 0.8, 0.3],
      // stride 8, gx 3, gy 0 → anchor 3; centre (3.5*8, 0.5*8), size 8x8, class 0
      3: [0.5, 0.5, 0, 0, 0.5, 0.6, 0.1, 0.1],
      // stride 32, gx 1, gy 1 → anchor 80 + 3; best class below threshold after obj: 0.9*0.2
      83: [0, 0, 0, 0, 0.9, 0.2, 0.1, 0.1],
      // high class score, low objectness
      10: [0, 0, 0, 0, 0.1, 0.99, 0, 0],
    });
    const out = decodeYolox(data, [1, N, 5 + C], params);
    expect(out).toHaveLength(2);
    expect(out[0].classId).toBe(0);
    expect(out[0].score).toBeCloseTo(0.3, 6);
    expect(out[0].box).toEqual({ x1: 24, y1: 0, x2: 32, y2: 8 });
    expect(out[1].classId).toBe(1);
    expect(out[1].score).toBeCloseTo(0.72, 6);
    expect(out[1].box.x1).toBeCloseTo(8, 5);
    expect(out[1].box.y1).toBeCloseTo(28, 5);
    expect(out[1].box.x2).toBeCloseTo(40, 5);
    expect(out[1].box.y2).toBeCloseTo(44, 5);
  });

  it('refuses an output of the wrong shape', () => {
    expect(() => decodeYolox(new Float32Array(N * 85), [1, N, 85], params)).toThrow(/\[1, 84, 85\] is not \[1, 84, 8\]/);
    expect(() => decodeYolox(tensor({}), [1, N - 1, 5 + C], params)).toThrow(RangeError);
  });
});

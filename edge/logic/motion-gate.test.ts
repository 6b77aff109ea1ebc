import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../../detector/types.js';
import { frameAt } from '../../test/fixtures.js';
import { MotionGate, changedFraction, thumbnail } from './motion-gate.js';

const opts = { enabled: true, recheckMs: 1000, threshold: 0.002 };

function withSquare(base: RgbFrame, x: number, y: number, size: number): RgbFrame {
  const data = Buffer.from(base.data);
  for (let yy = y; yy < y + size; yy++) for (let xx = x; xx < x + size; xx++) data.fill(255, (yy * base.width + xx) * 3, (yy * base.width + xx) * 3 + 3);
  return { ...base, data };
}

describe('MotionGate', () => {
  const still = frameAt(5);

  it('skips an unchanged frame until the recheck interval is due', () => {
    const gate = new MotionGate(opts);
    expect(gate.shouldInfer(still, 0)).toBe(true);
    expect(gate.shouldInfer(still, 100)).toBe(false);
    expect(gate.shouldInfer(still, 900)).toBe(false);
    expect(gate.shouldInfer(still, 1000)).toBe(true);
    expect(gate.skipped).toBe(2);
  });

  it('runs inference when something moves', () => {
    const gate = new MotionGate(opts);
    gate.shouldInfer(still, 0);
    expect(gate.shouldInfer(withSquare(still, 300, 300, 40), 100)).toBe(true);
  });

  it('sees the pedestrians of the real clip move between frames a second apart', () => {
    const a = thumbnail(frameAt(10), 64);
    const b = thumbnail(frameAt(11), 64);
    expect(changedFraction(a, b, 12)).toBeGreaterThan(opts.threshold);
    expect(changedFraction(a, a, 12)).toBe(0);
  });

  it('locates what moved, also when disabled', () => {
    for (const enabled of [true, false]) {
      const gate = new MotionGate({ ...opts, enabled, locate: true });
      gate.shouldInfer(still, 0);
      expect(gate.motion).toEqual([]);
      gate.shouldInfer(withSquare(withSquare(still, 300, 300, 40), 600, 450, 36), 100);
      const areas = gate.motion.map((b) => [b.x1, b.y1, b.x2, b.y2].map(Math.round));
      // Cells are 12 px: each square is one area, its box within a cell of the square's edges.
      expect(areas).toHaveLength(2);
      const [big, small] = areas.sort((a, b) => a[0] - b[0]);
      for (const [got, want] of [[small, [600, 450, 636, 486]], [big, [300, 300, 340, 340]]]) {
        got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(12));
      }
    }
  });

  it('always infers when disabled', () => {
    const gate = new MotionGate({ ...opts, enabled: false });
    expect([0, 1, 2].map((t) => gate.shouldInfer(still, t))).toEqual([true, true, true]);
  });
});

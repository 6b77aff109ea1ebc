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

  it('always infers when disabled', () => {
    const gate = new MotionGate({ ...opts, enabled: false });
    expect([0, 1, 2].map((t) => gate.shouldInfer(still, t))).toEqual([true, true, true]);
  });
});

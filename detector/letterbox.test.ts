import { describe, expect, it } from 'vitest';
import type { InputSpec } from './letterbox.js';
import { letterbox, toSourceBox } from './letterbox.js';
import type { RgbFrame } from './types.js';

/** A frame whose pixel (x, y) is `px(x, y)`. */
function frame(width: number, height: number, px: (x: number, y: number) => [number, number, number]): RgbFrame {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(px(x, y), (y * width + x) * 3);
  return { width, height, data };
}

const spec = (over: Partial<InputSpec> = {}): InputSpec => ({
  width: 8, height: 8, channelOrder: 'rgb', pixelRange: '0-255', resize: 'letterbox', padValue: 114, ...over,
});

/** Value of channel plane `c` at (x, y) of an NCHW tensor of size w x h. */
const at = (data: Float32Array, w: number, h: number, c: number, x: number, y: number) => data[c * w * h + y * w + x];

describe('letterbox', () => {
  it('scales a 768x576 frame to 416x312 at the top-left, padding below', () => {
    const r = letterbox(frame(768, 576, () => [0, 0, 0]), spec({ width: 416, height: 416 }));
    expect(r).toMatchObject({ contentWidth: 416, contentHeight: 312, offsetX: 0, offsetY: 0 });
    expect(r.scaleX).toBeCloseTo(416 / 768, 9);
    expect(r.scaleY).toBeCloseTo(416 / 768, 9);
    expect(at(r.data, 416, 416, 0, 415, 311)).toBe(0);
    expect(at(r.data, 416, 416, 0, 0, 312)).toBe(114);
    expect(at(r.data, 416, 416, 2, 415, 415)).toBe(114);
  });

  it('pads to the right of a tall frame', () => {
    const r = letterbox(frame(2, 4, () => [50, 50, 50]), spec());
    expect(r).toMatchObject({ contentWidth: 4, contentHeight: 8, scaleX: 2, scaleY: 2 });
    for (let c = 0; c < 3; c++) {
      expect(at(r.data, 8, 8, c, 3, 7)).toBe(50);
      expect(at(r.data, 8, 8, c, 4, 0)).toBe(114);
      expect(at(r.data, 8, 8, c, 7, 7)).toBe(114);
    }
  });

  it('writes planes in the channel order asked for, scaled to 0..1 when asked', () => {
    const f = frame(4, 2, () => [10, 20, 30]);
    const rgb = letterbox(f, spec());
    expect([0, 1, 2].map((c) => at(rgb.data, 8, 8, c, 1, 1))).toEqual([10, 20, 30]);
    const bgr = letterbox(f, spec({ channelOrder: 'bgr' }));
    expect([0, 1, 2].map((c) => at(bgr.data, 8, 8, c, 1, 1))).toEqual([30, 20, 10]);
    const unit = letterbox(f, spec({ pixelRange: '0-1', padValue: 0 }));
    expect(at(unit.data, 8, 8, 0, 1, 1)).toBeCloseTo(10 / 255, 6);
    expect(at(unit.data, 8, 8, 2, 1, 1)).toBeCloseTo(30 / 255, 6);
    expect(at(unit.data, 8, 8, 0, 1, 7)).toBe(0);
    const unitPad = letterbox(f, spec({ pixelRange: '0-1', padValue: 114 }));
    expect(at(unitPad.data, 8, 8, 1, 0, 7)).toBeCloseTo(114 / 255, 6);
  });

  it('interpolates bilinearly with pixel centres aligned (halving averages pixel pairs)', () => {
    // Horizontal ramp 0, 10, ..., 70 over 8 columns, halved to 4: each output is the mean of a pair.
    const r = letterbox(frame(8, 2, (x) => [x * 10, 0, 255 - x * 10]), spec({ width: 4, height: 4 }));
    expect([0, 1, 2, 3].map((x) => at(r.data, 4, 4, 0, x, 0))).toEqual([5, 25, 45, 65]);
    expect([0, 1, 2, 3].map((x) => at(r.data, 4, 4, 2, x, 0))).toEqual([250, 230, 210, 190]);
    expect(r.contentHeight).toBe(1);
  });

  it('letterboxes only a region, with the offset to map boxes back', () => {
    // Left half black, right half white: the right half alone is all white.
    const f = frame(8, 4, (x) => (x < 4 ? [0, 0, 0] : [255, 255, 255]));
    const r = letterbox(f, spec({ width: 4, height: 4 }), undefined, { x1: 4, y1: 0, x2: 8, y2: 4 });
    expect(r).toMatchObject({ offsetX: 4, offsetY: 0, scaleX: 1, scaleY: 1, contentWidth: 4, contentHeight: 4 });
    expect(Array.from(r.data).every((v) => v === 255)).toBe(true);
    expect(toSourceBox({ x1: 1, y1: 1, x2: 3, y2: 2 }, r)).toEqual({ x1: 5, y1: 1, x2: 7, y2: 2 });
    expect(() => letterbox(f, spec(), undefined, { x1: 10, y1: 0, x2: 12, y2: 4 })).toThrow(/empty region/);
  });

  it('stretches without padding when the model wants it', () => {
    const r = letterbox(frame(16, 4, () => [1, 2, 3]), spec({ resize: 'stretch' }));
    expect(r).toMatchObject({ scaleX: 0.5, scaleY: 2, contentWidth: 8, contentHeight: 8 });
    expect(Array.from(r.data).includes(114)).toBe(false);
    expect(toSourceBox({ x1: 2, y1: 2, x2: 4, y2: 8 }, r)).toEqual({ x1: 4, y1: 1, x2: 8, y2: 4 });
  });

  it('reuses the given buffer and overwrites all of it', () => {
    const out = new Float32Array(3 * 8 * 8).fill(Number.NaN);
    const r = letterbox(frame(4, 2, () => [1, 2, 3]), spec(), out);
    expect(r.data).toBe(out);
    expect(out.some(Number.isNaN)).toBe(false);
    expect(() => letterbox(frame(4, 2, () => [1, 2, 3]), spec(), new Float32Array(10))).toThrow(RangeError);
  });
});

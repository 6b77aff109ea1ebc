import { describe, expect, it } from 'vitest';
import { zoneCrop } from './zone-crop.js';

const FRAME = { width: 768, height: 576 };
const rect = (x1: number, y1: number, x2: number, y2: number): [number, number][] => [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];

describe('zoneCrop', () => {
  it('a small zone: a square of the model input size, centred on it', () => {
    // 76.8 x 57.6 px around (384, 288).
    expect(zoneCrop(rect(0.45, 0.45, 0.55, 0.55), FRAME, 320)).toEqual({ x1: 224, y1: 128, x2: 544, y2: 448 });
  });

  it('a zone larger than the input: a square of its longer side', () => {
    // 384 x 172.8 px centred at (384, 316.8).
    const crop = zoneCrop(rect(0.25, 0.4, 0.75, 0.7), FRAME, 160);
    expect(crop.x2 - crop.x1).toBe(384);
    expect(crop.y2 - crop.y1).toBe(384);
    expect(crop).toEqual({ x1: 192, y1: 125, x2: 576, y2: 509 });
  });

  it('is shifted back into the frame at its edges, keeping the zone inside', () => {
    // The top-right kerb of vtest.avi.
    const crop = zoneCrop(rect(0.8, 0.04, 1, 0.22), FRAME, 320);
    expect(crop).toEqual({ x1: 448, y1: 0, x2: 768, y2: 320 });
  });

  it('is cut to the frame where the square cannot fit', () => {
    expect(zoneCrop(rect(0, 0.1, 1, 0.3), FRAME, 320)).toEqual({ x1: 0, y1: 0, x2: 768, y2: 576 });
    expect(zoneCrop(rect(0.1, 0.1, 0.2, 0.2), { width: 1000, height: 200 }, 320)).toEqual({ x1: 0, y1: 0, x2: 320, y2: 200 });
  });

  it('takes the bounding box of any polygon', () => {
    const triangle: [number, number][] = [[0.5, 0.2], [0.7, 0.6], [0.3, 0.6]];
    // 307.2 x 230.4 px, centred at (384, 230.4): a 320 square.
    expect(zoneCrop(triangle, FRAME, 320)).toEqual({ x1: 224, y1: 70, x2: 544, y2: 390 });
  });
});

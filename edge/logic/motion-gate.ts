import type { PixelBox, RgbFrame } from '../../detector/types.js';

/**
 * Decides per frame whether the detector must run. A parked scene changes little from frame to
 * frame; there the tracker can carry its objects forward, and inference runs only every
 * `recheckMs` to re-confirm them (Frigate does the same with its motion detector).
 */
export interface MotionGateOptions {
  enabled: boolean;
  recheckMs: number;
  /** Fraction of grid cells that must change for the frame to count as moving. */
  threshold: number;
  /** Grey-level difference (0..255) of a cell that counts as a change. */
  cellDelta?: number;
  gridWidth?: number;
  /** Also find where the frame moved (`motion`), even when disabled: region-based detection aims there. */
  locate?: boolean;
}

export class MotionGate {
  private prev: Uint8Array | null = null;
  private lastInferenceMs = -Infinity;
  private readonly cellDelta: number;
  private readonly gw: number;
  skipped = 0;
  /** With `locate`: boxes around what changed since the previous frame examined (frame pixels). */
  motion: PixelBox[] = [];

  constructor(private readonly opts: MotionGateOptions) {
    this.cellDelta = opts.cellDelta ?? 12;
    this.gw = opts.gridWidth ?? 64;
  }

  /** True when this frame should go through the detector. */
  shouldInfer(frame: RgbFrame, tsMs: number): boolean {
    if (!this.opts.enabled && !this.opts.locate) return true;
    const grid = thumbnail(frame, this.gw);
    const prev = this.prev;
    this.prev = grid;
    const comparable = prev !== null && prev.length === grid.length;
    if (this.opts.locate) this.motion = comparable ? motionAreas(prev, grid, this.gw, this.cellDelta, frame) : [];
    if (!this.opts.enabled) return true;
    const due = tsMs - this.lastInferenceMs >= this.opts.recheckMs;
    if (due || !comparable || changedFraction(prev, grid, this.cellDelta) > this.opts.threshold) {
      this.lastInferenceMs = tsMs;
      return true;
    }
    this.skipped++;
    return false;
  }

  /** Frame sizes change on reconnects; forget the old reference. */
  reset(): void {
    this.prev = null;
    this.lastInferenceMs = -Infinity;
    this.motion = [];
  }
}

/** Grey thumbnail by averaging 2x2 samples at each cell centre: cheap, and enough to see motion. */
export function thumbnail(frame: RgbFrame, gw: number): Uint8Array {
  const gh = Math.max(1, Math.round((gw * frame.height) / frame.width));
  const out = new Uint8Array(gw * gh);
  const { width, height, data } = frame;
  for (let gy = 0; gy < gh; gy++) {
    const y0 = Math.min(height - 2, Math.floor(((gy + 0.5) * height) / gh));
    for (let gx = 0; gx < gw; gx++) {
      const x0 = Math.min(width - 2, Math.floor(((gx + 0.5) * width) / gw));
      let sum = 0;
      for (let dy = 0; dy < 2; dy++) {
        let i = ((y0 + dy) * width + x0) * 3;
        for (let dx = 0; dx < 2; dx++, i += 3) sum += data[i] * 77 + data[i + 1] * 150 + data[i + 2] * 29;
      }
      out[gy * gw + gx] = sum >> 10; // /4 samples, /256 weights
    }
  }
  return out;
}

export function changedFraction(a: Uint8Array, b: Uint8Array, delta: number): number {
  let changed = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > delta) changed++;
  return changed / a.length;
}

/**
 * Boxes around the groups of touching changed cells (8-neighbours), in frame pixels: the grid is
 * coarse (12 px cells at 768 wide), so a walking person is one or two groups.
 */
export function motionAreas(a: Uint8Array, b: Uint8Array, gw: number, delta: number, frame: { width: number; height: number }): PixelBox[] {
  const gh = a.length / gw;
  const changed = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > delta) changed[i] = 1;
  const areas: PixelBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < changed.length; start++) {
    if (changed[start] !== 1) continue;
    changed[start] = 2;
    stack.push(start);
    let [minX, minY, maxX, maxY] = [gw, gh, -1, -1];
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % gw;
      const y = (i - x) / gw;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      for (let ny = Math.max(0, y - 1); ny <= Math.min(gh - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(gw - 1, x + 1); nx++) {
          const j = ny * gw + nx;
          if (changed[j] === 1) {
            changed[j] = 2;
            stack.push(j);
          }
        }
      }
    }
    const cw = frame.width / gw;
    const ch = frame.height / gh;
    areas.push({ x1: minX * cw, y1: minY * ch, x2: (maxX + 1) * cw, y2: (maxY + 1) * ch });
  }
  return areas;
}

import type { RgbFrame } from '../../detector/types.js';

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
}

export class MotionGate {
  private prev: Uint8Array | null = null;
  private lastInferenceMs = -Infinity;
  private readonly cellDelta: number;
  private readonly gw: number;
  skipped = 0;

  constructor(private readonly opts: MotionGateOptions) {
    this.cellDelta = opts.cellDelta ?? 12;
    this.gw = opts.gridWidth ?? 64;
  }

  /** True when this frame should go through the detector. */
  shouldInfer(frame: RgbFrame, tsMs: number): boolean {
    if (!this.opts.enabled) return true;
    const grid = thumbnail(frame, this.gw);
    const prev = this.prev;
    this.prev = grid;
    const due = tsMs - this.lastInferenceMs >= this.opts.recheckMs;
    if (due || !prev || prev.length !== grid.length || changedFraction(prev, grid, this.cellDelta) > this.opts.threshold) {
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

import type { LumaGrid } from './luma-grid.js';
import { wasRemoved } from './removed-object.js';

export interface EmptySceneOptions {
  /** Grey levels (0..255, after brightness normalisation) a cell must differ by to count as changed. */
  cellDelta: number;
  /** Share of the gap to the current picture the background closes per sample (slow drift, dirt, seasons). */
  adaptRate: number;
}

/** What one sample shows against the empty scene. */
export interface SceneDifference {
  /** 1: the cell differs from the empty scene (only known cells not covered by a tracked object). */
  changed: Uint8Array;
  /** Changed cells as a share of the cells compared. */
  changedShare: number;
  /** The sample with the global brightness change taken out, in the background's grey scale. */
  normalised: Float32Array;
}

/** Consecutive steady samples an unknown cell (hidden while the scene was learnt) needs before it is learnt. */
const ADOPT_SAMPLES = 4;

/**
 * The empty scene of one camera as a grey level per grid cell: the median of the samples taken while
 * learning (whatever stands there then is scene), later drifting slowly towards what is seen where
 * nothing covers it. Global light changes (clouds, dusk, auto exposure) are taken out before comparing
 * by fitting the picture to the background as gain × background + offset over the cells that agree.
 */
export class EmptyScene {
  private samples: { luma: Float32Array; covered: Uint8Array }[] = [];
  private bg: Float32Array | null = null;
  /** 0: the cell was covered by tracked objects all the time it was learnt; it is learnt when first seen steady. */
  private known = new Uint8Array(0);
  private pending = new Float32Array(0);
  private pendingCount = new Uint8Array(0);

  constructor(private readonly opts: EmptySceneOptions) {}

  get learnt(): boolean {
    return this.bg !== null;
  }

  /** Forgets the scene; samples from now on learn a new one. */
  reset(): void {
    this.samples = [];
    this.bg = null;
  }

  /** One learning sample; cells covered by tracked objects do not count. */
  learn(grid: LumaGrid, covered: Uint8Array): void {
    this.samples.push({ luma: grid.luma.slice(), covered: covered.slice() });
  }

  /** The background becomes the per-cell median of the learning samples. */
  finishLearning(): void {
    const n = this.samples[0]?.luma.length ?? 0;
    const bg = new Float32Array(n);
    this.known = new Uint8Array(n);
    this.pending = new Float32Array(n);
    this.pendingCount = new Uint8Array(n);
    const values: number[] = [];
    for (let c = 0; c < n; c++) {
      values.length = 0;
      for (const s of this.samples) if (!s.covered[c]) values.push(s.luma[c]);
      if (values.length === 0) continue;
      values.sort((a, b) => a - b);
      bg[c] = values[values.length >> 1];
      this.known[c] = 1;
    }
    this.bg = bg;
    this.samples = [];
  }

  /** The sample against the background (which must have been learnt). */
  compare(grid: LumaGrid, covered: Uint8Array): SceneDifference {
    const bg = this.bg!;
    const { luma } = grid;
    const usable = this.visible(covered);
    const { gain, offset } = fitBrightness(bg, luma, usable, this.opts.cellDelta);
    const normalised = new Float32Array(luma.length);
    const changed = new Uint8Array(luma.length);
    let compared = 0;
    let changes = 0;
    for (let c = 0; c < luma.length; c++) {
      normalised[c] = (luma[c] - offset) / gain;
      if (!usable[c]) continue;
      compared++;
      if (Math.abs(normalised[c] - bg[c]) > this.opts.cellDelta) {
        changed[c] = 1;
        changes++;
      }
    }
    return { changed, changedShare: compared ? changes / compared : 0, normalised };
  }

  /** Whether the changed `region` is the place of something taken away rather than something new (wasRemoved). */
  removedAt(grid: LumaGrid, region: Uint8Array, normalised: Float32Array, covered: Uint8Array): boolean {
    return wasRemoved(grid, region, this.visible(covered), normalised, this.bg!);
  }

  /** 1: a cell of the learnt scene that no tracked object covers now. */
  private visible(covered: Uint8Array): Uint8Array {
    const visible = new Uint8Array(covered.length);
    for (let c = 0; c < visible.length; c++) visible[c] = this.known[c] & (covered[c] ^ 1);
    return visible;
  }

  /** The cells of `region` become scene as they are now (pavement under something taken away). */
  absorb(region: Uint8Array, normalised: Float32Array): void {
    for (let c = 0; c < region.length; c++) {
      if (!region[c]) continue;
      this.bg![c] = normalised[c];
      this.known[c] = 1;
    }
  }

  /**
   * Lets the background drift towards the normalised sample in the cells that are neither covered
   * nor `frozen` (cells of new objects must not fade into the scene). A cell never seen uncovered is
   * learnt once it has stayed steady for a few samples (a parked vehicle drove off).
   */
  update(normalised: Float32Array, covered: Uint8Array, frozen: Uint8Array): void {
    const bg = this.bg!;
    const { adaptRate, cellDelta } = this.opts;
    for (let c = 0; c < bg.length; c++) {
      if (covered[c] || frozen[c]) {
        this.pendingCount[c] = 0;
        continue;
      }
      const v = normalised[c];
      if (this.known[c]) {
        bg[c] += adaptRate * (v - bg[c]);
        continue;
      }
      const steady = this.pendingCount[c] > 0 && Math.abs(v - this.pending[c]) <= cellDelta;
      this.pendingCount[c] = steady ? this.pendingCount[c] + 1 : 1;
      this.pending[c] = v;
      if (this.pendingCount[c] >= ADOPT_SAMPLES) {
        bg[c] = v;
        this.known[c] = 1;
      }
    }
  }
}

/**
 * Least-squares fit of luma ≈ gain × bg + offset over the usable cells (1), refitted without the cells
 * more than 2 × delta off the first fit (new objects, passers-by). A scene too flat to fit keeps gain 1.
 */
export function fitBrightness(bg: Float32Array, luma: Float32Array, usable: Uint8Array, delta: number): { gain: number; offset: number } {
  let fit = { gain: 1, offset: 0 };
  for (let pass = 0; pass < 2; pass++) {
    let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let c = 0; c < bg.length; c++) {
      if (!usable[c]) continue;
      if (pass > 0 && Math.abs(luma[c] - (fit.gain * bg[c] + fit.offset)) > 2 * delta) continue;
      n++; sx += bg[c]; sy += luma[c]; sxx += bg[c] * bg[c]; sxy += bg[c] * luma[c];
    }
    if (n < 2) return fit;
    const varX = sxx - (sx * sx) / n;
    const gain = varX > n ? (sxy - (sx * sy) / n) / varX : 1;
    const g = Math.min(MAX_GAIN, Math.max(1 / MAX_GAIN, gain));
    fit = { gain: g, offset: (sy - g * sx) / n };
  }
  return fit;
}

/** Beyond this the picture is not the same scene under other light. */
const MAX_GAIN = 4;

/**
 * The detector the camera pipelines hold while its model can be replaced under them. `swap()`
 * takes effect between frames: calls already running finish on the old model, which is closed
 * once they have drained. The old model stays loaded as the fallback until the new one has
 * answered `probationInferences` frames with sane output; a failure (it throws, or returns
 * non-finite or out-of-frame boxes) before that switches back at once and the frame is run again
 * on the fallback, so no frame is lost to a bad model.
 *
 * It also keeps a copy of one recent camera frame, the input of the next model's self-test.
 */
import { StreetWatchError } from '../../common/errors.js';
import type { Detector, ObjectBox, PixelBox, RgbFrame } from '../../detector/types.js';
import { outputProblem } from './model-self-test.js';

export type ProbationOutcome =
  | { result: 'proven' }
  /** Switched back to the fallback; `error` says why. */
  | { result: 'failed'; error: Error }
  /** Replaced by a newer model before it proved itself (the fallback stays the same). */
  | { result: 'superseded' };

export interface SwappableOptions {
  /** Frames a new model must answer sanely before the fallback is let go (default 25). */
  probationInferences?: number;
  /** How often the kept camera frame may be replaced (default 60 s); a frame with objects is preferred. */
  referenceEveryMs?: number;
  now?: () => number;
  /** Told when closing a retired model fails (nothing else can go wrong in the background). */
  onError?: (err: Error) => void;
}

interface Slot {
  detector: Detector;
  busy: number;
  onIdle?: () => void;
}

interface Probation {
  fallback: Slot;
  left: number;
  settle: (outcome: ProbationOutcome) => void;
}

export class ModelUnhealthyError extends StreetWatchError {
  constructor(message: string) {
    super('MODEL_UNHEALTHY', message);
  }
}

export class SwappableDetector implements Detector {
  private current: Slot;
  private probation: Probation | null = null;
  private reference: { frame: RgbFrame; atMs: number; objects: number } | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;
  private readonly probationInferences: number;
  private readonly referenceEveryMs: number;
  private readonly now: () => number;

  constructor(
    initial: Detector,
    private readonly opts: SwappableOptions = {},
  ) {
    this.current = { detector: initial, busy: 0 };
    this.probationInferences = Math.max(1, opts.probationInferences ?? 25);
    this.referenceEveryMs = opts.referenceEveryMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get classNames(): readonly string[] {
    return this.current.detector.classNames;
  }

  get inputSize(): { width: number; height: number } {
    return this.current.detector.inputSize;
  }

  /** The model in use now (the new one while on probation). */
  get active(): Detector {
    return this.current.detector;
  }

  /** Whether a model is on probation, i.e. a fallback is still loaded. */
  get onProbation(): boolean {
    return this.probation !== null;
  }

  async detect(frame: RgbFrame, region?: PixelBox): Promise<ObjectBox[]> {
    if (this.closed) throw new StreetWatchError('DETECTOR_CLOSED', 'detector is closed');
    const slot = this.current;
    const trial = this.probation;
    let objects: ObjectBox[];
    try {
      objects = await this.run(slot, frame, region);
      const problem = trial ? outputProblem(objects, frame, slot.detector.classNames) : null;
      if (problem) throw new ModelUnhealthyError(problem);
    } catch (err) {
      if (!trial) throw err;
      // A concurrent frame may already have ended this trial; either way the frame is run again
      // on whatever is current now, which is no longer the model that failed.
      if (this.probation === trial) this.fail(trial, err as Error);
      if (this.current === slot) throw err;
      return this.detect(frame, region);
    }
    if (trial && this.probation === trial && --trial.left === 0) this.prove(trial);
    // The reference is a new model's first test on a whole frame; a region's count is no yardstick.
    if (!region) this.keepReference(frame, objects);
    return objects;
  }

  /**
   * Uses `next` from the next detect() on. Resolves once `next` has proved itself, failed (the
   * previous model is back in use), or been replaced by a later swap.
   */
  swap(next: Detector): Promise<ProbationOutcome> {
    if (this.closed) throw new StreetWatchError('DETECTOR_CLOSED', 'detector is closed');
    const replaced = this.current;
    const prior = this.probation;
    this.current = { detector: next, busy: 0 };
    return new Promise((settle) => {
      // A model still on probation is dropped; the last proven one stays the fallback.
      this.probation = { fallback: prior ? prior.fallback : replaced, left: this.probationInferences, settle };
      if (prior) {
        prior.settle({ result: 'superseded' });
        this.retire(replaced);
      }
    });
  }

  /** A copy of the kept camera frame (safe to hand to a detector), or undefined before the first frame. */
  referenceFrame(): RgbFrame | undefined {
    const r = this.reference?.frame;
    return r && { width: r.width, height: r.height, data: Buffer.from(r.data) };
  }

  /** Closes every model, waiting for running calls. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probation) this.retire(this.probation.fallback);
    this.probation = null;
    this.retire(this.current);
    while (this.retiring.size > 0) await Promise.all(this.retiring);
  }

  private async run(slot: Slot, frame: RgbFrame, region?: PixelBox): Promise<ObjectBox[]> {
    slot.busy++;
    try {
      return await slot.detector.detect(frame, region);
    } finally {
      if (--slot.busy === 0) slot.onIdle?.();
    }
  }

  private prove(trial: Probation): void {
    this.probation = null;
    trial.settle({ result: 'proven' });
    this.retire(trial.fallback);
  }

  private fail(trial: Probation, error: Error): void {
    this.probation = null;
    const failed = this.current;
    this.current = trial.fallback;
    trial.settle({ result: 'failed', error });
    this.retire(failed);
  }

  /** Closes a model no longer current once the calls still running on it have finished. */
  private retire(slot: Slot): void {
    const done = (async () => {
      if (slot.busy > 0) await new Promise<void>((resolve) => (slot.onIdle = resolve));
      await slot.detector.close();
    })()
      .catch((err: Error) => this.opts.onError?.(err))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /** Frames showing objects make the better test; an empty one is kept only until one comes along. */
  private keepReference(frame: RgbFrame, objects: ObjectBox[]): void {
    const now = this.now();
    const r = this.reference;
    const due = !r || now - r.atMs >= this.referenceEveryMs || (r.objects === 0 && objects.length > 0);
    if (!due || (r && r.objects > 0 && objects.length === 0)) return;
    this.reference = { frame: { width: frame.width, height: frame.height, data: Buffer.from(frame.data) }, atMs: now, objects: objects.length };
  }
}

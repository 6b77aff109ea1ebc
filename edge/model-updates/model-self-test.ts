/**
 * Does a newly loaded model work on this box's camera? Run on one recent camera frame before the
 * switch:
 *  1. inference completes (the graph runs and its output has the shape the decoder expects);
 *  2. every object is sane: finite box inside the frame, score in (0, 1], a known class;
 *  3. if the running model finds objects on that frame, the new one finds at least half of them
 *     again (same label, IoU ≥ 0.5). Half, not all: a retrained model may rightly differ on weak
 *     or borderline objects, but one that misses most of what the old one sees on this very
 *     camera is broken for it (wrong weights, wrong input order, a head that outputs nothing).
 * With no camera frame yet (no camera connected since start) a mid-grey frame is used, which
 * still proves 1 and 2.
 */
import { StreetWatchError } from '../../common/errors.js';
import { iou } from '../../detector/nms.js';
import type { Detector, ObjectBox, RgbFrame } from '../../detector/types.js';

export const AGREEMENT_IOU = 0.5;

export class ModelSelfTestError extends StreetWatchError {
  constructor(message: string) {
    super('MODEL_SELF_TEST', message);
  }
}

export interface SelfTestResult {
  frame: 'camera' | 'grey';
  /** Objects the running model found on the frame. */
  current: number;
  /** Objects the new model found. */
  candidate: number;
  /** Of the running model's objects, how many the new one found again. */
  found: number;
}

/** Why a model's answer for `frame` cannot be right, or null when it is sane. */
export function outputProblem(objects: readonly ObjectBox[], frame: Pick<RgbFrame, 'width' | 'height'>, classNames: readonly string[]): string | null {
  for (const [i, o] of objects.entries()) {
    const { x1, y1, x2, y2 } = o.box;
    if (![x1, y1, x2, y2, o.score].every(Number.isFinite)) return `object ${i} has a non-finite box or score`;
    if (x1 < 0 || y1 < 0 || x2 > frame.width || y2 > frame.height || x2 <= x1 || y2 <= y1) return `object ${i} has a box outside the frame`;
    if (!(o.score > 0 && o.score <= 1)) return `object ${i} has score ${o.score}, outside (0, 1]`;
    if (classNames[o.classId] !== o.label) return `object ${i} has class ${o.classId} "${o.label}", not one of the model's classes`;
  }
  return null;
}

/** How many `reference` objects have a `candidate` object of the same label with IoU ≥ 0.5. */
export function agreement(reference: readonly ObjectBox[], candidate: readonly ObjectBox[]): number {
  return reference.filter((r) => candidate.some((c) => c.label === r.label && iou(c.box, r.box) >= AGREEMENT_IOU)).length;
}

const greyFrame = (): RgbFrame => ({ width: 640, height: 480, data: Buffer.alloc(640 * 480 * 3, 114) });

/** Runs the test; throws ModelSelfTestError saying what failed. `frame` is not modified. */
export async function selfTest(candidate: Detector, current: Detector, frame: RgbFrame | undefined): Promise<SelfTestResult> {
  const input = frame ?? greyFrame();
  // Each detect gets its own copy: a worker detector moves the pixels to its thread meanwhile.
  const copy = (): RgbFrame => ({ width: input.width, height: input.height, data: Buffer.from(input.data) });
  const [before, after] = await Promise.all([
    current.detect(copy()),
    candidate.detect(copy()).catch((err: Error) => {
      throw new ModelSelfTestError(`self-test: inference failed: ${err.message}`);
    }),
  ]);
  const problem = outputProblem(after, input, candidate.classNames);
  if (problem) throw new ModelSelfTestError(`self-test: ${problem}`);
  const found = agreement(before, after);
  if (found < Math.ceil(before.length / 2)) {
    const labels = [...new Set(before.map((o) => o.label))].join(', ');
    throw new ModelSelfTestError(
      `self-test: the new model found ${found} of the ${before.length} objects (${labels}) the running model sees on a recent camera frame; at least ${Math.ceil(before.length / 2)} needed`,
    );
  }
  return { frame: frame ? 'camera' : 'grey', current: before.length, candidate: after.length, found };
}

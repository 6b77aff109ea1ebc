/** Greedy CTC decoding of a recogniser's per-time-step character probabilities. */

export interface CtcResult {
  text: string;
  /**
   * Mean probability of the kept characters (PaddleOCR's convention): one unsure character
   * lowers it visibly, while blanks, which are most steps, do not inflate it. 0 for no text.
   */
  confidence: number;
}

/**
 * `probs` is [steps, classes] row-major; class 0 is the CTC blank and class i ≥ 1 is
 * `charset[i - 1]`. Per step the best class; repeats collapse unless a blank separates them.
 */
export function ctcGreedyDecode(probs: Float32Array, steps: number, classes: number, charset: readonly string[]): CtcResult {
  if (classes !== charset.length + 1) throw new RangeError(`ctcGreedyDecode: ${classes} classes but ${charset.length} characters + blank`);
  if (probs.length < steps * classes) throw new RangeError(`ctcGreedyDecode: ${probs.length} values for ${steps}×${classes}`);
  let text = '';
  let sum = 0;
  let kept = 0;
  let prev = 0;
  for (let t = 0; t < steps; t++) {
    const row = t * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[row + c] > probs[row + best]) best = c;
    if (best !== 0 && best !== prev) {
      text += charset[best - 1];
      sum += probs[row + best];
      kept++;
    }
    prev = best;
  }
  return { text, confidence: kept > 0 ? sum / kept : 0 };
}

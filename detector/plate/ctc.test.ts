import { describe, expect, it } from 'vitest';
import { ctcGreedyDecode } from './ctc.js';

const CHARSET = ['苏', 'E', 'D', '1', ' '];
const CLASSES = CHARSET.length + 1;

/** One row per step: the winning class gets `p`, the rest share what is left. */
function probs(steps: [cls: number, p: number][]): Float32Array {
  const out = new Float32Array(steps.length * CLASSES);
  steps.forEach(([cls, p], t) => {
    for (let c = 0; c < CLASSES; c++) out[t * CLASSES + c] = c === cls ? p : (1 - p) / (CLASSES - 1);
  });
  return out;
}

describe('ctcGreedyDecode', () => {
  it('drops blanks and collapses repeats unless a blank separates them', () => {
    // 苏 苏 _ E _ D D _ 1 _ 1 1 → "苏ED11"
    const steps: [number, number][] = [[1, 0.9], [1, 0.8], [0, 0.99], [2, 0.7], [0, 0.9], [3, 0.9], [3, 0.6], [0, 0.9], [4, 0.8], [0, 0.9], [4, 0.5], [4, 0.9]];
    const r = ctcGreedyDecode(probs(steps), steps.length, CLASSES, CHARSET);
    expect(r.text).toBe('苏ED11');
    // Mean over the kept characters only, each at its first step: 0.9, 0.7, 0.9, 0.8, 0.5.
    expect(r.confidence).toBeCloseTo((0.9 + 0.7 + 0.9 + 0.8 + 0.5) / 5, 6);
  });

  it('maps the last class to a space and gives 0 confidence for no text', () => {
    expect(ctcGreedyDecode(probs([[2, 0.9], [5, 0.8], [3, 0.9]]), 3, CLASSES, CHARSET).text).toBe('E D');
    expect(ctcGreedyDecode(probs([[0, 0.9], [0, 0.8]]), 2, CLASSES, CHARSET)).toEqual({ text: '', confidence: 0 });
  });

  it('refuses probabilities that do not fit the character set', () => {
    expect(() => ctcGreedyDecode(new Float32Array(14), 2, 7, CHARSET)).toThrow(/7 classes but 5 characters/);
    expect(() => ctcGreedyDecode(new Float32Array(5), 2, CLASSES, CHARSET)).toThrow(RangeError);
  });
});

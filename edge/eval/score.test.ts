import { describe, expect, it } from 'vitest';
import type { LabelledViolation } from './labels.js';
import { canMatch, counts, iou, scoreClip, unmetThresholds, type DetectedViolation } from './score.js';

const van: LabelledViolation = { type: 'illegal_parking', zone: 'kerb', start: 30, box: [0.85, 0.05, 0.94, 0.2] };
const car: LabelledViolation = { type: 'illegal_parking', zone: 'kerb', start: 30, box: [0.95, 0.05, 1, 0.2] };
const detected = (over: Partial<DetectedViolation> = {}): DetectedViolation => ({ type: 'illegal_parking', zone: 'kerb', discoveredAt: 31, box: [0.86, 0.06, 0.93, 0.19], ...over });

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint or touching ones, and intersection over union otherwise', () => {
    expect(iou([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(iou([0, 0, 0.5, 0.5], [0.5, 0, 1, 0.5])).toBe(0);
    expect(iou([0, 0, 0.2, 0.2], [0.1, 0, 0.3, 0.2])).toBeCloseTo(0.02 / 0.06);
  });
});

describe('canMatch', () => {
  it('needs the same type and zone', () => {
    expect(canMatch(van, detected())).toBe(true);
    expect(canMatch(van, detected({ type: 'street_vending' }))).toBe(false);
    expect(canMatch(van, detected({ zone: 'plaza' }))).toBe(false);
  });

  it('needs the times to overlap: not discovered after the label ends, not ended before it starts', () => {
    const bounded = { ...van, end: 60 };
    expect(canMatch(bounded, detected({ discoveredAt: 59 }))).toBe(true);
    expect(canMatch(bounded, detected({ discoveredAt: 61 }))).toBe(false);
    expect(canMatch(van, detected({ discoveredAt: 10, endedAt: 29 }))).toBe(false);
    expect(canMatch(van, detected({ discoveredAt: 10, endedAt: 31 }))).toBe(true);
  });

  it('needs the boxes to overlap when both have one, at least the minimum IoU', () => {
    expect(canMatch(car, detected())).toBe(false);
    expect(canMatch({ ...car, box: undefined }, detected())).toBe(true);
    expect(canMatch(car, detected({ box: undefined }))).toBe(true);
    expect(canMatch(van, detected({ box: [0.9, 0.05, 1, 0.2] }), 0.1)).toBe(true);
    expect(canMatch(van, detected({ box: [0.9, 0.05, 1, 0.2] }), 0.5)).toBe(false);
  });
});

describe('scoreClip', () => {
  it('pairs each label with one detection, the rest are false positives and misses', () => {
    const s = scoreClip([van, car], [detected(), detected({ discoveredAt: 33 }), detected({ type: 'street_vending', zone: 'plaza', box: undefined })]);
    // Only the van's box overlaps both detections: one is the van, the other a duplicate → FP.
    expect(s.matches).toHaveLength(1);
    expect(s.matches[0]).toMatchObject({ label: van, delay: 1 });
    expect(s.falsePositives.map((d) => d.discoveredAt)).toEqual([33, 31]);
    expect(s.misses).toEqual([car]);
  });

  it('gives a detection to the label whose start is nearest, so both labels match', () => {
    const early = { ...van, start: 30, box: undefined };
    const late = { ...van, start: 100, box: undefined };
    const s = scoreClip([early, late], [detected({ discoveredAt: 98 }), detected({ discoveredAt: 40 })]);
    expect(s.matches.map((m) => [m.label.start, m.delay])).toEqual([[100, -2], [30, 10]]);
    expect(s.falsePositives).toEqual([]);
    expect(s.misses).toEqual([]);
  });

  it('makes everything a miss without detections and a false positive without labels', () => {
    expect(scoreClip([van], [])).toEqual({ matches: [], falsePositives: [], misses: [van] });
    expect(scoreClip([], [detected()])).toEqual({ matches: [], falsePositives: [detected()], misses: [] });
  });
});

describe('counts', () => {
  const scores = [
    scoreClip([van, car], [detected(), detected({ discoveredAt: 35, box: [0.95, 0.05, 1, 0.2] })]),
    scoreClip([{ type: 'street_vending', zone: 'plaza', start: 40 }], [detected({ zone: 'kerb', discoveredAt: 50 })]),
  ];

  it('sums over clips: precision, recall, mean and max delay', () => {
    expect(counts(scores)).toEqual({ tp: 2, fp: 1, misses: 1, precision: 2 / 3, recall: 2 / 3, delay: { mean: 3, max: 5 } });
  });

  it('restricts to one type', () => {
    expect(counts(scores, 'illegal_parking')).toEqual({ tp: 2, fp: 1, misses: 0, precision: 2 / 3, recall: 1, delay: { mean: 3, max: 5 } });
    expect(counts(scores, 'street_vending')).toEqual({ tp: 0, fp: 0, misses: 1, precision: null, recall: 0, delay: null });
  });
});

describe('unmetThresholds', () => {
  const total = counts([scoreClip([van, car], [detected(), detected({ discoveredAt: 300, zone: 'plaza' })])]);

  it('names each threshold the totals miss', () => {
    expect(total).toMatchObject({ precision: 0.5, recall: 0.5, delay: { max: 1 } });
    expect(unmetThresholds(total, { minPrecision: 0.9, minRecall: 0.4, maxDelay: 0.5 })).toEqual([
      'precision 0.50 < --min-precision 0.9',
      'discovery delay 1.0 s > --max-delay 0.5 s',
    ]);
    expect(unmetThresholds(total, { minPrecision: 0.5, minRecall: 0.5, maxDelay: 1 })).toEqual([]);
  });

  it('lets a measure with nothing to measure pass', () => {
    expect(unmetThresholds(counts([scoreClip([], [])]), { minPrecision: 1, minRecall: 1, maxDelay: 0 })).toEqual([]);
  });
});

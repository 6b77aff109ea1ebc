import { describe, expect, it } from 'vitest';
import type { LabelledViolation } from './labels.js';
import { evalReport, formatReport } from './report.js';
import { scoreClip } from './score.js';

const parked: LabelledViolation = { type: 'illegal_parking', zone: 'kerb', start: 30 };

describe('evalReport', () => {
  const clips = [
    { id: 'day', score: scoreClip([parked, parked], [{ type: 'illegal_parking', zone: 'kerb', discoveredAt: 30 }, { type: 'illegal_parking', zone: 'kerb', discoveredAt: 34 }]) },
    { id: 'night', score: scoreClip([parked], [{ type: 'street_vending', zone: 'plaza', discoveredAt: 50 }]) },
  ];

  it('counts per clip and type, the totals, and the thresholds they miss', () => {
    const r = evalReport(clips, { minPrecision: 0.9, minRecall: 0.5 });
    expect(r.clips[0].types.illegal_parking).toMatchObject({ tp: 2, fp: 0, misses: 0, delay: { mean: 2, max: 4 } });
    expect(r.clips[1].types.street_vending).toMatchObject({ tp: 0, fp: 1, misses: 0, precision: 0, recall: null });
    expect(r.types.illegal_parking).toMatchObject({ tp: 2, fp: 0, misses: 1 });
    expect(r.total).toMatchObject({ tp: 2, fp: 1, misses: 1 });
    expect(r.unmet).toEqual(['precision 0.67 < --min-precision 0.9']);
  });

  it('prints a row per clip and type seen there, the totals per type seen, and whether the thresholds were met', () => {
    const text = formatReport(evalReport(clips, {}));
    expect(text.split('\n')).toEqual([
      'clip   type             TP  FP  miss  precision  recall  delay s (mean / max)',
      '-----  ---------------  --  --  ----  ---------  ------  --------------------',
      'day    illegal_parking   2   0     0       1.00    1.00             2.0 / 4.0',
      'night  illegal_parking   0   0     1          —    0.00                     —',
      'night  street_vending    0   1     0       0.00       —                     —',
      'total  illegal_parking   2   0     1       1.00    0.67             2.0 / 4.0',
      'total  street_vending    0   1     0       0.00       —                     —',
      'total  all               2   1     1       0.67    0.67             2.0 / 4.0',
      '',
      'thresholds met',
    ]);
  });
});

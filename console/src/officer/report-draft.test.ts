import { describe, expect, it } from 'vitest';
import { fixOf, fixOfError, missing } from './report-draft';

describe('report form rules', () => {
  it('tells a refused permission from a phone that cannot find itself (yet)', () => {
    expect(fixOfError(1)).toEqual({ state: 'denied' });
    expect(fixOfError(2)).toEqual({ state: 'unavailable' });
    expect(fixOfError(3)).toEqual({ state: 'unavailable' });
    expect(fixOf({ latitude: 32.05, longitude: 118.79, accuracy: 12.5 })).toEqual({ state: 'ok', lat: 32.05, long: 118.79, accuracyM: 12.5 });
  });

  it('lets a report go only with a photo and a position', () => {
    const photo = new Blob(['jpeg']);
    const here = fixOf({ latitude: 32.05, longitude: 118.79, accuracy: 10 });
    expect(missing({ photo, fix: here })).toEqual([]);
    expect(missing({ photo: null, fix: here })).toEqual(['report.needPhoto']);
    for (const fix of [{ state: 'waiting' }, { state: 'denied' }, { state: 'unavailable' }] as const) expect(missing({ photo, fix })).toEqual(['report.needLocation']);
    expect(missing({ photo: null, fix: { state: 'denied' } })).toEqual(['report.needPhoto', 'report.needLocation']);
  });
});

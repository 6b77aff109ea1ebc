import { describe, expect, it } from 'vitest';
import type { PixelBox } from '../../../detector/types.js';
import { NO_TENDING, tallyTending, type Keeper, type TendingTally } from './keeper-spells.js';

const MIN = 8_000;
const at = (x: number): PixelBox => ({ x1: x, y1: 100, x2: x + 24, y2: 180 });
const STANDING = at(200);

/** Samples every 500 ms from 0, the keepers of each sample given by `who(t)`; returns the tally after each. */
function tally(toMs: number, who: (tMs: number) => Keeper[]): TendingTally[] {
  const out: TendingTally[] = [];
  let t: TendingTally = NO_TENDING;
  for (let ms = 500; ms <= toMs; ms += 500) out.push((t = tallyTending(t, ms, 500, who(ms), MIN)));
  return out;
}
const after = (states: TendingTally[], ms: number) => states[ms / 500 - 1].tendedMs;

describe('tallyTending', () => {
  it('a keeper counts once their spell reaches the minimum, then in full from its start', () => {
    const states = tally(20_000, (ms) => (ms > 2_000 ? [{ id: 'K', box: STANDING }] : []));
    expect(after(states, 9_500)).toBe(0); // 7.5 s into the spell
    expect(after(states, 10_000)).toBe(8_000);
    expect(after(states, 20_000)).toBe(18_000);
  });

  it('passers-by near the object one after another, each for 3 s, never count', () => {
    // Each walks 84 px across the object's side in 3 s; the next one comes 1 s after.
    const states = tally(60_000, (ms) => {
      const k = Math.floor((ms - 1) / 4_000);
      const s = ms - 4_000 * k;
      return s <= 3_000 ? [{ id: `W${k}`, box: at(80 + (28 * s) / 1000) }] : [];
    });
    expect(states.at(-1)!.tendedMs).toBe(0);
  });

  it('a keeper hidden or lost for a moment, or found again under a new id where they stood, keeps the spell', () => {
    const states = tally(12_000, (ms) => {
      if (ms >= 4_000 && ms < 5_000) return []; // hidden
      return [{ id: ms < 7_000 ? 'K1' : 'K2', box: STANDING }]; // new id at 7 s
    });
    expect(after(states, 8_000)).toBe(8_000);
    expect(after(states, 12_000)).toBe(12_000);
  });

  it('a spell ends after a gap longer than KEEPER_GAP_MS, and another person elsewhere does not take it over', () => {
    expect(tally(30_000, (ms) => (ms % 10_000 <= 5_000 ? [{ id: 'P', box: STANDING }] : [])).at(-1)!.tendedMs).toBe(0);
    expect(tally(12_000, (ms) => [{ id: ms < 6_000 ? 'A' : 'B', box: at(ms < 6_000 ? 0 : 200) }]).at(-1)!.tendedMs).toBe(0);
  });

  it('two keepers at once count the time once', () => {
    const states = tally(20_000, (ms) => [{ id: 'A', box: at(0) }, ...(ms > 4_000 ? [{ id: 'B', box: at(200) }] : [])]);
    expect(states.at(-1)!.tendedMs).toBe(20_000);
  });
});

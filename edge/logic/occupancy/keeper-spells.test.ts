import { describe, expect, it } from 'vitest';
import { NO_TENDING, tallyTending, type TendingTally } from './keeper-spells.js';

const MIN = 8_000;

/** Samples every 500 ms from 0, the keepers of each sample given by `who(t)`; returns the tally after each. */
function tally(toMs: number, who: (tMs: number) => string[]): TendingTally[] {
  const out: TendingTally[] = [];
  let t: TendingTally = NO_TENDING;
  for (let ms = 500; ms <= toMs; ms += 500) out.push((t = tallyTending(t, ms, 500, who(ms), MIN)));
  return out;
}

describe('tallyTending', () => {
  it('a keeper counts once their spell reaches the minimum, then in full from its start', () => {
    const states = tally(20_000, (ms) => (ms > 2_000 ? ['K'] : []));
    expect(states[(9_500 / 500) - 1].tendedMs).toBe(0); // 7.5 s into the spell
    expect(states[(10_000 / 500) - 1].tendedMs).toBe(8_000);
    expect(states.at(-1)!.tendedMs).toBe(18_000);
  });

  it('passers-by near the object one after another, each for 3 s, never count', () => {
    const states = tally(60_000, (ms) => [`W${Math.floor((ms - 1) / 3_000)}`]);
    expect(states.at(-1)!.tendedMs).toBe(0);
  });

  it('the same person near twice for less than the minimum does not count: a spell ends when they leave', () => {
    const states = tally(30_000, (ms) => (ms % 10_000 <= 5_000 ? ['P'] : []));
    expect(states.at(-1)!.tendedMs).toBe(0);
  });

  it('two keepers at once count the time once', () => {
    const states = tally(20_000, (ms) => (ms > 4_000 ? ['A', 'B'] : ['A']));
    expect(states.at(-1)!.tendedMs).toBe(20_000);
  });
});

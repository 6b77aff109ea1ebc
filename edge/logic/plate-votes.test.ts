import { describe, expect, it } from 'vitest';
import { PlateVotes, type PlateAttempt } from './plate-votes.js';

const opts = { minConfidence: 0.8, intervalMs: 2000, maxReads: 5, agreeingReads: 3 };
const read = (text: string, confidence: number, valid = true): PlateAttempt<string> => ({ text, confidence, valid, detail: `${text}@${confidence}` });

/** Runs one read of `key` at tsMs. */
function attempt(votes: PlateVotes<string>, key: string, tsMs: number, a: PlateAttempt<string> | null): boolean {
  votes.begin(key, tsMs);
  return votes.record(key, tsMs, a);
}

describe('PlateVotes', () => {
  it('keeps the text most reads agree on, with their mean confidence and the best read', () => {
    const v = new PlateVotes<string>(opts);
    attempt(v, 't1', 0, read('苏ED51712', 0.9));
    attempt(v, 't1', 2000, read('苏ED51742', 0.95)); // one character off, more confident
    attempt(v, 't1', 4000, read('苏ED51712', 0.97));
    expect(v.decision('t1')).toEqual({ text: '苏ED51712', confidence: 0.935, votes: 2, readAtMs: 4000, detail: '苏ED51712@0.97' });
  });

  it('reports unread rather than guessing: low-confidence and invalid reads are no vote', () => {
    const v = new PlateVotes<string>(opts);
    attempt(v, 't1', 0, read('苏ED51712', 0.5));
    attempt(v, 't1', 2000, read('X1234', 0.99, false));
    attempt(v, 't1', 4000, null);
    expect(v.decision('t1')).toBeUndefined();
  });

  it('a tie goes to the higher summed confidence', () => {
    const v = new PlateVotes<string>(opts);
    attempt(v, 't1', 0, read('津B6H920', 0.85));
    attempt(v, 't1', 2000, read('津B6H928', 0.9));
    expect(v.decision('t1')?.text).toBe('津B6H928');
  });

  it('reads at most every interval, one at a time, and stops after maxReads or enough agreement', () => {
    const v = new PlateVotes<string>(opts);
    expect(v.due('t1', 0)).toBe(true);
    v.begin('t1', 0);
    expect(v.due('t1', 5000)).toBe(false); // still in flight
    v.record('t1', 0, read('X', 0.3, false));
    expect(v.due('t1', 1999)).toBe(false);
    expect(v.due('t1', 2000)).toBe(true);
    for (let i = 1; i < 5; i++) attempt(v, 't1', i * 2000, read('X', 0.3, false));
    expect(v.due('t1', 60_000)).toBe(false); // maxReads

    const w = new PlateVotes<string>(opts);
    for (let i = 0; i < 3; i++) attempt(w, 't2', i * 2000, read('皖KD01833', 0.9));
    expect(w.due('t2', 60_000)).toBe(false); // three agree: settled
  });

  it('looks again less and less often at a vehicle whose plate is not found, and at once when it is', () => {
    const v = new PlateVotes<string>({ ...opts, maxReads: 10 });
    attempt(v, 't1', 0, null);
    expect(v.due('t1', 2000)).toBe(false);
    expect(v.due('t1', 8000)).toBe(true); // 2 s × 4
    attempt(v, 't1', 8000, null);
    expect(v.due('t1', 8000 + 31_999)).toBe(false);
    expect(v.due('t1', 8000 + 32_000)).toBe(true); // 2 s × 16
    attempt(v, 't1', 40_000, read('津B6H920', 0.6)); // a plate, if not yet confident: back to every 2 s
    expect(v.due('t1', 42_000)).toBe(true);
  });

  it('says when the decision changed', () => {
    const v = new PlateVotes<string>(opts);
    expect(attempt(v, 't1', 0, null)).toBe(false);
    expect(attempt(v, 't1', 2000, read('津B6H920', 0.85))).toBe(true);
    expect(attempt(v, 't1', 4000, read('津B6H920', 0.8))).toBe(false); // same text, best read unchanged
    expect(attempt(v, 't1', 6000, read('津B6H920', 0.9))).toBe(true); // a better close-up
  });

  it('forgets vehicles that are gone, including a read that finishes after', () => {
    const v = new PlateVotes<string>(opts);
    attempt(v, 't1', 0, read('津B6H920', 0.9));
    v.begin('t2', 0);
    v.retain(new Set(['t1']));
    expect(v.record('t2', 0, read('苏ED51712', 0.9))).toBe(false);
    expect(v.decision('t2')).toBeUndefined();
    expect(v.decision('t1')?.text).toBe('津B6H920');
  });

  it('a failed read counts as an attempt', () => {
    const v = new PlateVotes<string>({ ...opts, maxReads: 1 });
    v.begin('t1', 0);
    v.fail('t1');
    expect(v.due('t1', 10_000)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { isDue } from './every-schedule.js';

/** Which of these frame times a task every `everyMs` runs on. */
function runs(frames: number[], everyMs: number): number[] {
  let last: number | undefined;
  return frames.filter((ts) => {
    if (!isDue(last, ts, everyMs)) return false;
    last = ts;
    return true;
  });
}

describe('isDue', () => {
  it('is due on the first frame, then on the first frame at least the period after the last run', () => {
    const halfSeconds = Array.from({ length: 25 }, (_, i) => i * 500);
    expect(runs(halfSeconds, 5000)).toEqual([0, 5000, 10000]);
  });

  it('counts from the run, not from the schedule: a late frame delays the next run by as much', () => {
    expect(runs([0, 4900, 5300, 9900, 10300, 10400], 5000)).toEqual([0, 5300, 10300]);
  });

  it('follows frame time, however fast the frames come', () => {
    const replayed = Array.from({ length: 101 }, (_, i) => 1_000_000 + i * 100);
    expect(runs(replayed, 2000)).toHaveLength(6);
  });

  it('a frame earlier than the last run (the source started over) is due', () => {
    expect(isDue(10_000, 2_000, 5_000)).toBe(true);
    expect(isDue(10_000, 12_000, 5_000)).toBe(false);
    expect(isDue(undefined, 0, 5_000)).toBe(true);
  });
});

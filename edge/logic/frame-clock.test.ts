import { describe, expect, it } from 'vitest';
import { FrameClock } from './frame-clock.js';

describe('FrameClock', () => {
  it('anchors the first frame to the wall clock and keeps the stream\'s spacing after that', () => {
    const clock = new FrameClock(10);
    expect(clock.last).toBeNull();
    expect(clock.at(5000, 1_000_000)).toBe(1_000_000);
    expect(clock.at(5100, 1_000_900)).toBe(1_000_100); // processed late, timed by its pts
    expect(clock.end).toBe(1_000_200);
  });

  it('re-anchors after a reconnect, whose stream starts its pts again', () => {
    const clock = new FrameClock(5);
    clock.at(9000, 50_000);
    clock.reanchor();
    expect(clock.at(0, 80_000)).toBe(80_000);
    expect(clock.at(400, 80_000)).toBe(80_400);
  });

  it('times a replay from its given start', () => {
    const clock = new FrameClock(10, 1_700_000_000_000);
    expect(clock.at(0, 5)).toBe(1_700_000_000_000);
    expect(clock.at(2500, 5)).toBe(1_700_000_002_500);
    expect(clock.end).toBe(1_700_000_002_600);
  });
});

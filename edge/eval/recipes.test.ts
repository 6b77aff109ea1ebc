import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameAt, tempDir, VTEST } from '../../test/fixtures.js';
import type { RgbFrame } from '../../detector/types.js';
import { generatedClip, RECIPES, recipeArgs } from './recipes.js';

/** Mean absolute difference of two frames over a pixel rectangle, 0..255. */
function meanDiff(a: RgbFrame, b: RgbFrame, r: { x: number; y: number; w: number; h: number }): number {
  let sum = 0;
  for (let y = r.y; y < r.y + r.h; y++) {
    for (let i = (y * a.width + r.x) * 3; i < (y * a.width + r.x + r.w) * 3; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  }
  return sum / (r.w * r.h * 3);
}

/** The first `seconds` of a recipe's clip (the whole one takes a minute to make). */
function shortClip(name: string, seconds: number): string {
  const out = join(tempDir(), `${name}.mp4`);
  execFileSync('ffmpeg', recipeArgs({ ...RECIPES[name]!, seconds }, VTEST, out));
  return out;
}

// Re-encoding alone changes a few levels per pixel; a pasted object changes tens.
const UNCHANGED = 8;
const CHANGED = 30;

describe('recipes', () => {
  it('stall-removed: the stall and its keeper are on the plaza from 5 s, and not before', () => {
    const clip = shortClip('stall-removed', 7);
    const stall = { x: 470, y: 262, w: 112, h: 64 };
    const keeper = { x: 590, y: 230, w: 26, h: 90 };
    expect(meanDiff(frameAt(2, clip), frameAt(2), stall)).toBeLessThan(UNCHANGED);
    expect(meanDiff(frameAt(2, clip), frameAt(2), keeper)).toBeLessThan(UNCHANGED);
    expect(meanDiff(frameAt(6, clip), frameAt(6), stall)).toBeGreaterThan(CHANGED);
    expect(meanDiff(frameAt(6, clip), frameAt(6), keeper)).toBeGreaterThan(CHANGED);
  });

  it('stall-taken-away: the stall is on the plaza from the first frame and gone after 20 s', () => {
    const clip = shortClip('stall-taken-away', 22);
    const stall = { x: 470, y: 262, w: 112, h: 64 };
    expect(meanDiff(frameAt(0, clip), frameAt(0), stall)).toBeGreaterThan(CHANGED);
    expect(meanDiff(frameAt(19, clip), frameAt(19), stall)).toBeGreaterThan(CHANGED);
    expect(meanDiff(frameAt(21, clip), frameAt(21), stall)).toBeLessThan(UNCHANGED);
  });

  it('queue-moving-off: the front van drives in from 2 s and stands on the road from 5 s; the rest of the frame is the footage', () => {
    const clip = shortClip('queue-moving-off', 7);
    const front = { x: 632, y: 272, w: 90, h: 71 };
    const lawn = { x: 0, y: 380, w: 300, h: 190 };
    expect(meanDiff(frameAt(1, clip), frameAt(1), front)).toBeLessThan(UNCHANGED);
    expect(meanDiff(frameAt(6, clip), frameAt(6), front)).toBeGreaterThan(CHANGED);
    expect(meanDiff(frameAt(6, clip), frameAt(6), lawn)).toBeLessThan(UNCHANGED);
  });

  it('an unknown recipe is named in the error with the ones there are', async () => {
    await expect(generatedClip('no-such', tempDir())).rejects.toThrow(/no recipe "no-such" \(have brightness-ramp, .*queue-moving-off/);
  });
});

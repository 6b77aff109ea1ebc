import { describe, expect, it } from 'vitest';
import { judgeRun, searchCapacity, type CamerasRun } from './camera-capacity.js';

/** A box that carries `capacity` cameras; each trial takes `trialMs` on a fake clock. */
function fakeBox(capacity: number, trialMs = 40_000) {
  let clock = 0;
  const tried: number[] = [];
  const run = async (cameras: number) => {
    tried.push(cameras);
    clock += trialMs;
    return { ok: cameras <= capacity, result: { cameras } };
  };
  return { run, tried, now: () => clock };
}

describe('searchCapacity', () => {
  it.each([
    [1, 4, [4, 2, 1]],
    [9, 4, [4, 8, 16, 12, 10, 9]],
    [13, 4, [4, 8, 16, 12, 14, 13]],
    [5, 5, [5, 10, 7, 6]],
    [0, 3, [3, 1]],
  ])('finds the boundary of a box carrying %i cameras, starting at %i', async (capacity, start, order) => {
    const box = fakeBox(capacity);
    const found = await searchCapacity(box.run, { start, max: 64, budgetMs: Infinity, now: box.now });
    expect(found.carried).toBe(capacity);
    expect(found.exact).toBe(true);
    expect(found.failed?.cameras).toBe(capacity + 1);
    expect(box.tried).toEqual(order);
  });

  it('steps to the estimate a passing run gives, one more at least', async () => {
    const box = fakeBox(18);
    // As from CPU use: one camera's worth of estimate too low near the top.
    const estimate = (t: { cameras: number }) => (t.cameras < 16 ? 17 : t.cameras);
    const found = await searchCapacity(box.run, { start: 4, max: 64, budgetMs: Infinity, now: box.now, estimate });
    expect(box.tried).toEqual([4, 17, 18, 19]);
    expect(found).toMatchObject({ carried: 18, exact: true });
    const close = fakeBox(18);
    await searchCapacity(close.run, { start: 10, max: 64, budgetMs: Infinity, now: close.now, estimate: () => 18 });
    expect(close.tried).toEqual([10, 18, 19]);
  });

  it.each([
    // An estimate too high: down from it in steps of 1, 2, 4…, never past halfway, until one passes; then by halves.
    [28, [4, 31, 30, 28, 29]],
    [25, [4, 31, 30, 28, 24, 26, 25]],
    [30, [4, 31, 30]],
    // Far off: as quick as halving.
    [6, [4, 31, 30, 28, 24, 16, 10, 7, 5, 6]],
  ])('closes in on a box carrying %i cameras from an estimate of 31', async (capacity, order) => {
    const box = fakeBox(capacity);
    const found = await searchCapacity(box.run, { start: 4, max: 64, budgetMs: Infinity, now: box.now, estimate: () => 31 });
    expect(box.tried).toEqual(order);
    expect(found).toMatchObject({ carried: capacity, exact: true, failed: { cameras: capacity + 1 } });
  });

  it('stops at the cap when every count passes', async () => {
    const box = fakeBox(100);
    const found = await searchCapacity(box.run, { start: 3, max: 10, budgetMs: Infinity, now: box.now });
    expect(found).toMatchObject({ carried: 10, exact: true, failed: undefined });
    expect(box.tried).toEqual([3, 6, 10]);
  });

  it('starts no trial that would overrun the budget and reports the bracket as not exact', async () => {
    const box = fakeBox(9, 40_000);
    // 4, 8, 16 take 120 s; a fourth would end at 160 s > 150 s.
    const found = await searchCapacity(box.run, { start: 4, max: 64, budgetMs: 150_000, now: box.now });
    expect(box.tried).toEqual([4, 8, 16]);
    expect(found).toMatchObject({ carried: 8, exact: false, failed: { cameras: 16, ok: false } });
  });

  it('always runs one trial, however small the budget', async () => {
    const box = fakeBox(9);
    const found = await searchCapacity(box.run, { start: 4, max: 64, budgetMs: 0, now: box.now });
    expect(box.tried).toEqual([4]);
    expect(found.carried).toBe(4);
  });
});

describe('judgeRun', () => {
  const run = (over: Partial<CamerasRun> = {}): CamerasRun => ({
    cameras: 2, expectedPerCamera: 60, offered: [60, 59], dropped: [0, 0], processed: [60, 59], maxLagMs: 900, ...over,
  });

  it('passes a run with every frame processed and the lag bounded', () => {
    expect(judgeRun(run(), 2000)).toEqual({ ok: true, drops: 0 });
  });

  it('fails a run whose cameras fell behind with nothing dropped yet: more queued than is in flight', () => {
    // Two frames taken but not processed are the window's edge (one kept, one in the pipeline); three are a backlog.
    expect(judgeRun(run({ offered: [60, 60], processed: [58, 60] }), 2000)).toEqual({ ok: true, drops: 0 });
    expect(judgeRun(run({ offered: [60, 60], processed: [57, 56] }), 2000)).toEqual({ ok: false, drops: 0, why: '2 cameras fell behind (7 frames queued)' });
  });

  it('counts frames the source queues dropped', () => {
    expect(judgeRun(run({ dropped: [0, 3] }), 2000)).toEqual({ ok: false, drops: 3, why: '3 frames dropped' });
  });


  it('fails a run where a camera gave no frame (it never started)', () => {
    expect(judgeRun(run({ offered: [60, 0], processed: [60, 0] }), 2000)).toEqual({ ok: false, drops: 0, why: '1 cameras gave no frame' });
  });

  it('fails a run whose lag grew past the bound, with no frame dropped', () => {
    expect(judgeRun(run({ maxLagMs: 2500 }), 2000)).toEqual({ ok: false, drops: 0, why: 'lag 2.5 s > 2.0 s' });
  });
});

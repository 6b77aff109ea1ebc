/**
 * The switch itself, with hand-driven detectors (each call waits until the test releases it), so
 * the order of in-flight calls, swaps, drains and closes is exact. The real models are in
 * model-updater.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Detector, ObjectBox, RgbFrame } from '../../detector/types.js';
import { SwappableDetector } from './swappable-detector.js';

const CLASSES = ['person', 'car'];
const frame = (): RgbFrame => ({ width: 100, height: 80, data: Buffer.alloc(100 * 80 * 3, 7) });
const car = (x = 10): ObjectBox => ({ box: { x1: x, y1: 10, x2: x + 20, y2: 30 }, classId: 1, label: 'car', score: 0.9 });

/** A detector whose calls finish only when released, answering `answer` (or throwing it). */
class HeldDetector implements Detector {
  readonly classNames = CLASSES;
  readonly inputSize = { width: 416, height: 416 };
  readonly calls: { release: () => void }[] = [];
  closed = false;
  autoRelease = false;

  constructor(
    readonly name: string,
    private readonly answer: () => ObjectBox[] = () => [car()],
  ) {}

  detect(): Promise<ObjectBox[]> {
    if (this.closed) return Promise.reject(new Error(`${this.name} is closed`));
    return new Promise((resolve, reject) => {
      const release = () => {
        try {
          resolve(this.answer());
        } catch (err) {
          reject(err);
        }
      };
      this.calls.push({ release });
      if (this.autoRelease) release();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SwappableDetector', () => {
  it('lets calls in flight finish on the old model and closes it only once they have', async () => {
    const old = new HeldDetector('old');
    const next = new HeldDetector('next', () => [car(50)]);
    next.autoRelease = true;
    const sw = new SwappableDetector(old, { probationInferences: 2 });
    const inFlight = [sw.detect(frame()), sw.detect(frame())];
    const outcome = sw.swap(next);
    expect(sw.active).toBe(next);
    // New calls go to the new model at once.
    expect(await sw.detect(frame())).toEqual([car(50)]);
    expect(await sw.detect(frame())).toEqual([car(50)]);
    expect(await outcome).toEqual({ result: 'proven' });
    await tick();
    expect(old.closed).toBe(false); // two calls still running on it
    old.calls[0].release();
    await tick();
    expect(old.closed).toBe(false);
    old.calls[1].release();
    expect(await Promise.all(inFlight)).toEqual([[car()], [car()]]);
    await tick();
    expect(old.closed).toBe(true);
    expect(sw.onProbation).toBe(false);
  });

  it('goes back to the previous model when the new one throws on probation, and reruns that frame there', async () => {
    const old = new HeldDetector('old');
    old.autoRelease = true;
    const bad = new HeldDetector('bad', () => {
      throw new Error('output shape [1, 100, 85] is not [1, 3549, 85]');
    });
    bad.autoRelease = true;
    const sw = new SwappableDetector(old, { probationInferences: 5 });
    const outcome = sw.swap(bad);
    expect(await sw.detect(frame())).toEqual([car()]); // answered by the fallback
    const o = await outcome;
    expect(o.result).toBe('failed');
    expect(o.result === 'failed' && o.error.message).toMatch(/output shape/);
    expect(sw.active).toBe(old);
    await tick();
    expect(bad.closed).toBe(true);
    expect(old.closed).toBe(false);
    expect(await sw.detect(frame())).toEqual([car()]);
  });

  it('treats insane output on probation as a failure (non-finite box)', async () => {
    const old = new HeldDetector('old');
    old.autoRelease = true;
    const nan = new HeldDetector('nan', () => [{ ...car(), box: { x1: NaN, y1: 0, x2: 5, y2: 5 } }]);
    nan.autoRelease = true;
    const sw = new SwappableDetector(old);
    const outcome = sw.swap(nan);
    expect(await sw.detect(frame())).toEqual([car()]);
    expect(await outcome).toMatchObject({ result: 'failed', error: { code: 'MODEL_UNHEALTHY', message: expect.stringMatching(/non-finite/) } });
  });

  it('after probation a failure is the caller\'s: there is nothing to go back to', async () => {
    const old = new HeldDetector('old');
    let fail = false;
    const next = new HeldDetector('next', () => {
      if (fail) throw new Error('boom');
      return [];
    });
    next.autoRelease = true;
    const sw = new SwappableDetector(old, { probationInferences: 1 });
    const outcome = sw.swap(next);
    await sw.detect(frame());
    expect(await outcome).toEqual({ result: 'proven' });
    fail = true;
    await expect(sw.detect(frame())).rejects.toThrow('boom');
    expect(sw.active).toBe(next);
  });

  it('a second swap during probation drops the model on probation and keeps the proven fallback', async () => {
    const proven = new HeldDetector('proven');
    proven.autoRelease = true;
    const first = new HeldDetector('first');
    first.autoRelease = true;
    const second = new HeldDetector('second', () => {
      throw new Error('second is broken');
    });
    second.autoRelease = true;
    const sw = new SwappableDetector(proven, { probationInferences: 10 });
    const firstOutcome = sw.swap(first);
    await sw.detect(frame());
    const secondOutcome = sw.swap(second);
    expect(await firstOutcome).toEqual({ result: 'superseded' });
    await tick();
    expect(first.closed).toBe(true);
    await sw.detect(frame());
    expect((await secondOutcome).result).toBe('failed');
    expect(sw.active).toBe(proven); // not `first`, which never proved itself
  });

  it('keeps a copy of a recent frame, preferring one with objects, replaced at most every referenceEveryMs', async () => {
    let now = 0;
    let objects: ObjectBox[] = [];
    const d = new HeldDetector('d', () => objects);
    d.autoRelease = true;
    const sw = new SwappableDetector(d, { referenceEveryMs: 1000, now: () => now });
    expect(sw.referenceFrame()).toBeUndefined();
    const empty = frame();
    await sw.detect(empty);
    expect(sw.referenceFrame()?.data.equals(empty.data)).toBe(true);
    // A frame with objects replaces an empty one at once.
    objects = [car()];
    const busy = { ...frame(), data: Buffer.alloc(100 * 80 * 3, 9) };
    await sw.detect(busy);
    const kept = sw.referenceFrame()!;
    expect(kept.data.equals(busy.data)).toBe(true);
    // It is a copy: changing the caller's frame or the returned one does not change it.
    busy.data.fill(0);
    kept.data.fill(1);
    expect(sw.referenceFrame()!.data[0]).toBe(9);
    // Not replaced within the interval, nor by an empty frame after it.
    now = 500;
    await sw.detect({ ...frame(), data: Buffer.alloc(100 * 80 * 3, 3) });
    now = 2000;
    objects = [];
    await sw.detect({ ...frame(), data: Buffer.alloc(100 * 80 * 3, 4) });
    expect(sw.referenceFrame()!.data[0]).toBe(9);
    objects = [car()];
    await sw.detect({ ...frame(), data: Buffer.alloc(100 * 80 * 3, 5) });
    expect(sw.referenceFrame()!.data[0]).toBe(5);
  });

  it('closes every model it holds, after their calls', async () => {
    const old = new HeldDetector('old');
    const next = new HeldDetector('next');
    const sw = new SwappableDetector(old);
    const pending = sw.detect(frame());
    void sw.swap(next);
    const closing = sw.close();
    await tick();
    expect(next.closed).toBe(true);
    expect(old.closed).toBe(false);
    old.calls[0].release();
    await pending;
    await closing;
    expect(old.closed).toBe(true);
    await expect(sw.detect(frame())).rejects.toThrow('detector is closed');
  });
});

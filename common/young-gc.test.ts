import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { youngGenerationCollector } from './young-gc.js';

/** The kinds of the garbage collections V8 reports while `during` runs. */
async function collectionsDuring(during: () => void): Promise<number[]> {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) kinds.push((e as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ['gc'] });
  during();
  await sleep(50); // entries are delivered asynchronously
  observer.disconnect();
  return kinds;
}

/** Waits for V8's sweeper to release the backing stores a collection freed: `mb` stops falling. */
async function settled(mb: () => number): Promise<void> {
  for (let i = 0, last = Infinity; i < 40 && mb() < last; i++) {
    last = mb();
    await sleep(25);
  }
}

describe('youngGenerationCollector', () => {
  it('runs a scavenge', async () => {
    const collect = youngGenerationCollector();
    expect(await collectionsDuring(collect)).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
  });

  it('frees dead buffers and keeps live ones', async () => {
    const collect = youngGenerationCollector();
    // A full collection first: it empties the young generation and resets V8's external-memory
    // count, so no collection triggered by earlier tests' buffers promotes the dead ones below to
    // the old generation (where a scavenge cannot reach them) before `collect` runs.
    (runInNewContext('gc') as () => void)();
    const mb = () => process.memoryUsage().arrayBuffers / 1048576;
    await settled(mb);
    const start = mb();
    const kept = Array.from({ length: 5 }, (_, i) => new Uint8Array(1 << 20).fill(i + 1));
    const before = mb();
    const holder: { dead?: Uint8Array[] } = { dead: Array.from({ length: 20 }, () => new Uint8Array(1 << 20)) };
    expect(mb() - before).toBeGreaterThanOrEqual(19);
    delete holder.dead;
    await sleep(0);
    collect();
    // The backing stores are released by V8's sweeper shortly after the scavenge.
    for (let i = 0; i < 40 && mb() - before > 1; i++) await sleep(25);
    expect(mb() - before).toBeLessThan(1);
    // The live megabytes are still held, and intact.
    expect(mb() - start).toBeGreaterThanOrEqual(4.9);
    expect(kept.map((k) => k[k.length - 1])).toEqual([1, 2, 3, 4, 5]);
  });
});

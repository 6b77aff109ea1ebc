import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Queued } from './upload-queue';
import { startQueue } from './user-queue';

const quiet = { changed: () => undefined, refused: () => undefined };

describe('a user\'s queue, started by the app', () => {
  // The queue listens for the browser's `online`; no IndexedDB here, so the store is its in-memory one.
  afterEach(() => vi.unstubAllGlobals());

  it('takes an item added before its store is open, says the items live only in memory, and sends nothing once stopped', async () => {
    const window = new EventTarget();
    vi.stubGlobal('window', window);
    const tried: string[] = [];
    const sent: string[] = [];
    const kept: boolean[] = [];
    const queue = startQueue<Queued, string>('photos', 'nick', async (p) => (tried.push(p.id), { status: 201, body: `order-${p.id}` }), { ...quiet, sent: (p, answer) => sent.push(`${p.id} ${answer}`) }, (k) => kept.push(k));
    // Added in the same tick the queue was started: the store is not open yet.
    await queue.add({ id: 'a' });
    await vi.waitFor(() => expect(sent).toEqual(['a order-a']));
    expect(kept).toEqual([false]);
    queue.stop();
    // Added after the stop (signed out while it was prepared): kept for the user's next sign-in, not sent now.
    await queue.add({ id: 'b' });
    window.dispatchEvent(new Event('online'));
    await new Promise((r) => setTimeout(r, 10));
    expect(tried).toEqual(['a']);
  });

  it('starts nothing when stopped before its store is open (the user signed out meanwhile)', async () => {
    const window = new EventTarget();
    const listen = vi.spyOn(window, 'addEventListener');
    vi.stubGlobal('window', window);
    const opened = vi.fn();
    const queue = startQueue<Queued, string>('reports', 'ivy', async () => ({ status: 201 }), { ...quiet, sent: () => undefined }, opened);
    queue.stop();
    await expect(queue.add({ id: 'a' })).rejects.toThrow('the reports queue of ivy is stopped');
    await new Promise((r) => setTimeout(r, 10));
    expect(opened).not.toHaveBeenCalled();
    expect(listen).not.toHaveBeenCalled();
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Queued, UploadQueue } from './upload-queue';
import { startQueue } from './user-queue';

const quiet = { changed: () => undefined, refused: () => undefined };

describe('a user\'s queue, started by the app', () => {
  // The queue listens for the browser's `online`; no IndexedDB here, so the store is its in-memory one.
  afterEach(() => vi.unstubAllGlobals());

  it('runs once its store is open, and sends nothing once stopped', async () => {
    const window = new EventTarget();
    vi.stubGlobal('window', window);
    const tried: string[] = [];
    const sent: string[] = [];
    let queue: UploadQueue<Queued, string> | undefined;
    const stop = startQueue<Queued, string>('photos', 'nick', async (p) => (tried.push(p.id), { status: 201, body: `order-${p.id}` }), { ...quiet, sent: (p, answer) => sent.push(`${p.id} ${answer}`) }, (q) => (queue = q));
    await vi.waitFor(() => expect(queue).toBeDefined());
    await queue!.add({ id: 'a' });
    await vi.waitFor(() => expect(sent).toEqual(['a order-a']));
    stop();
    await queue!.add({ id: 'b' });
    window.dispatchEvent(new Event('online'));
    await new Promise((r) => setTimeout(r, 10));
    expect(tried).toEqual(['a']);
  });

  it('starts nothing when stopped before its store is open (the user signed out meanwhile)', async () => {
    const window = new EventTarget();
    const listen = vi.spyOn(window, 'addEventListener');
    vi.stubGlobal('window', window);
    const started = vi.fn();
    startQueue<Queued, string>('reports', 'ivy', async () => ({ status: 201 }), { ...quiet, sent: () => undefined }, started)();
    await new Promise((r) => setTimeout(r, 10));
    expect(started).not.toHaveBeenCalled();
    expect(listen).not.toHaveBeenCalled();
  });
});

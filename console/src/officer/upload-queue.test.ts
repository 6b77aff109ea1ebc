import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from '../backoff';
import { dueItems, isRetryable, nextTry, openQueueStore, UploadQueue, type Attempt, type Queued } from './upload-queue';

const item = (id: string, notBefore = 0, attempts = 0): Queued => ({ id, attempts, notBefore });

describe('upload queue scheduling', () => {
  it('waits longer after each failure, up to the cap', () => {
    let p = item('a');
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      p = nextTry(p, 1000);
      waits.push(p.notBefore - 1000);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 30, 30].map((s) => Math.min(s * RECONNECT_BASE_MS, RECONNECT_MAX_MS)));
    expect(p.attempts).toBe(7);
  });

  it('retries what the network or the server failed, drops what the centre refused', () => {
    expect([0, 401, 408, 429, 500, 503].every(isRetryable)).toBe(true);
    expect([400, 403, 404, 409, 413, 415].some(isRetryable)).toBe(false);
  });

  it('takes the due items oldest first', () => {
    const q = [item('3', 0), item('1', 500), item('2', 2000)];
    expect(dueItems(q, 1000).map((p) => p.id)).toEqual(['1', '3']);
    expect(dueItems(q, Infinity).map((p) => p.id)).toEqual(['1', '2', '3']);
  });
});

describe('upload queue storage', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('keeps the items in memory, and says so, when the browser refuses IndexedDB outright', async () => {
    vi.stubGlobal('indexedDB', { open: () => { throw new DOMException('access denied', 'SecurityError'); } });
    const store = await openQueueStore<Queued>('photos', 'nick');
    expect(store.kept).toBe(false);
    await store.put(item('a'));
    expect(await store.all()).toEqual([item('a')]);
  });
});

describe('upload queue runs', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('drops an item the centre refuses (4xx) and says why; sends the others; keeps one the server failed', async () => {
    // The queue listens for the browser's `online`; no IndexedDB here, so the store is its in-memory one.
    vi.stubGlobal('window', new EventTarget());
    const store = await openQueueStore<Queued>('reports', 'ivan');
    const answers: Record<string, Attempt<string>> = {
      a: { status: 400, message: 'lat: must be at most 90' },
      b: { status: 201, body: 'order-1' },
      c: { status: 503 },
      d: { status: 413, message: '' },
    };
    const tried: string[] = [];
    const events: string[] = [];
    const queue = new UploadQueue<Queued, string>(store, async (p) => (tried.push(p.id), answers[p.id]), {
      changed: () => undefined,
      sent: (p, answer) => events.push(`sent ${p.id} ${answer}`),
      refused: (p, message) => events.push(`refused ${p.id}: ${message}`),
    }, () => 1000);
    for (const id of ['a', 'b', 'c', 'd']) await store.put({ id, attempts: 0, notBefore: 0 });
    await queue.flush();
    queue.stop();
    expect(tried).toEqual(['a', 'b', 'c', 'd']);
    // A refusal without a message names its status.
    expect(events).toEqual(['refused a: lat: must be at most 90', 'sent b order-1', 'refused d: 413']);
    expect(await store.all()).toEqual([{ id: 'c', attempts: 1, notBefore: 1000 + RECONNECT_BASE_MS }]);
    // Flushed again, the refused one is not tried again.
    tried.length = 0;
    await new UploadQueue<Queued, string>(store, async (p) => (tried.push(p.id), { status: 201 }), { changed: () => undefined, sent: () => undefined, refused: () => undefined }).flush(true);
    expect(tried).toEqual(['c']);
  });

  it('keeps trying after the phone\'s storage failed, and sends the item once it works again', async () => {
    vi.stubGlobal('window', new EventTarget());
    vi.useFakeTimers();
    try {
      const mem = await openQueueStore<Queued>('photos', 'nick');
      await mem.put({ id: 'a', attempts: 0, notBefore: 0 });
      let broken = true;
      const store = { ...mem, all: async () => { if (broken) throw new Error('QuotaExceededError'); return mem.all(); } };
      const tried: string[] = [];
      const queue = new UploadQueue<Queued, string>(store, async (p) => (tried.push(p.id), { status: 201 }), { changed: () => undefined, sent: () => undefined, refused: () => undefined });
      await queue.flush();
      expect(tried).toEqual([]);
      broken = false;
      await vi.advanceTimersByTimeAsync(60_000);
      queue.stop();
      expect(tried).toEqual(['a']);
      expect(await mem.all()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs again when the network comes back during a run, so an item waiting for its next try goes at once', async () => {
    const window = new EventTarget();
    vi.stubGlobal('window', window);
    const store = await openQueueStore<Queued>('photos', 'nick');
    await store.put({ id: 'a', attempts: 0, notBefore: 0 });
    await store.put({ id: 'b', attempts: 3, notBefore: Date.now() + 60_000 });
    const tried: string[] = [];
    const queue = new UploadQueue<Queued, string>(store, async (p) => {
      tried.push(p.id);
      // The browser says it is online while `a` is on its way.
      if (p.id === 'a') window.dispatchEvent(new Event('online'));
      return { status: 201 };
    }, { changed: () => undefined, sent: () => undefined, refused: () => undefined });
    await queue.flush();
    queue.stop();
    expect(tried).toEqual(['a', 'b']);
    expect(await store.all()).toEqual([]);
  });
});

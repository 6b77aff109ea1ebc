/**
 * Uploads that must survive a dead spot on the street: scene photos (photo-queue.ts) and
 * inspectors' reports (report-queue.ts). An item goes into the queue (kept in IndexedDB, so a
 * reload or a dead battery loses nothing) before it is sent; it leaves the queue once the centre
 * has it. A network failure, a 5xx or a lapsed session (401: kept until the user signs in again)
 * keeps it for another try, later each time (backoff.ts); a refusal (other 4xx) drops it and says why.
 * Each user has their own database, so a phone shared by a shift never files one's items as another's. The scheduling is pure (`nextTry`, `isRetryable`,
 * `dueItems`); the storage and the uploads are small adapters.
 */
import { reconnectDelayMs } from '../backoff';

export interface Queued {
  /** Sorts oldest first. */
  id: string;
  /** Failed tries so far. */
  attempts: number;
  /** Epoch ms before which it is not tried again. */
  notBefore: number;
}

/** A failed try: when to try again. */
export const nextTry = <T extends Queued>(p: T, nowMs: number): T => ({ ...p, attempts: p.attempts + 1, notBefore: nowMs + reconnectDelayMs(p.attempts) });

/** Worth another try: no answer at all (status 0), a lapsed session, a timeout, rate limit or server trouble. */
export const isRetryable = (status: number): boolean => status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;

/** The items due now, oldest first. */
export const dueItems = <T extends Queued>(queue: readonly T[], nowMs: number): T[] =>
  queue.filter((p) => p.notBefore <= nowMs).sort((a, b) => a.id.localeCompare(b.id));

/** How long a queue whose storage failed waits before trying again. */
const STORAGE_RETRY_MS = 30_000;

export interface QueueStore<T extends Queued> {
  /** Whether the items outlive the page (IndexedDB), or only sit in its memory. */
  readonly kept: boolean;
  all(): Promise<T[]>;
  put(p: T): Promise<void>;
  remove(id: string): Promise<void>;
}

/** The object stores of the app's database, one per queue. */
export type QueueName = 'photos' | 'reports';
// Version 2 added `reports`; an upgrade creates whichever store is missing.
const DB_VERSION = 2;
const QUEUES: readonly QueueName[] = ['photos', 'reports'];

/** `user`'s IndexedDB, where the browser has it; else memory (the items then last as long as the page). */
export async function openQueueStore<T extends Queued>(name: QueueName, user: string): Promise<QueueStore<T>> {
  const db = await new Promise<IDBDatabase | null>((resolve) => {
    if (typeof indexedDB === 'undefined') return resolve(null);
    let req: IDBOpenDBRequest;
    try {
      req = indexedDB.open(`streetwatch-officer.${user}`, DB_VERSION);
    } catch {
      // Storage blocked for the page (a sandboxed frame, site data refused): refused at once.
      return resolve(null);
    }
    req.onupgradeneeded = () => {
      for (const q of QUEUES) if (!req.result.objectStoreNames.contains(q)) req.result.createObjectStore(q, { keyPath: 'id' });
    };
    req.onsuccess = () => {
      // A newer app in another tab may need to upgrade the database: let it.
      req.result.onversionchange = () => req.result.close();
      resolve(req.result);
    };
    req.onerror = () => resolve(null);
    // An older app still open in another tab holds the old version: keep this page's items in memory.
    req.onblocked = () => resolve(null);
  });
  if (!db) {
    const mem = new Map<string, T>();
    return { kept: false, all: async () => [...mem.values()], put: async (p) => void mem.set(p.id, p), remove: async (id) => void mem.delete(id) };
  }
  const run = <R>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<R>) =>
    new Promise<R>((resolve, reject) => {
      const req = op(db.transaction(name, mode).objectStore(name));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  return {
    kept: true,
    all: () => run<T[]>('readonly', (s) => s.getAll() as IDBRequest<T[]>),
    put: async (p) => void (await run('readwrite', (s) => s.put(p))),
    remove: async (id) => void (await run('readwrite', (s) => s.delete(id))),
  };
}

/** One try: the HTTP status (0 when the network did not answer), the refusal's message, the answer's body. */
export interface Attempt<R> {
  status: number;
  message?: string;
  body?: R;
}

/** POSTs one upload with the session cookie and the console header: what the centre answered, or status 0. */
export async function postUpload<R>(path: string, init: { body: BodyInit; headers?: Record<string, string> }): Promise<Attempt<R>> {
  try {
    const res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'x-streetwatch-console': '1', ...init.headers }, body: init.body });
    const body = (await res.json().catch(() => ({}))) as R & { error?: string };
    return res.ok ? { status: res.status, body } : { status: res.status, message: body.error };
  } catch {
    return { status: 0 };
  }
}

export interface QueueHooks<T, R> {
  /** The queue after each step. */
  changed(items: readonly T[]): void;
  sent(item: T, answer: R | undefined): void;
  refused(item: T, message: string): void;
}

/**
 * Runs a queue: tries what is due, then sleeps until the next item is due (or the browser says
 * it is online again).
 */
export class UploadQueue<T extends Queued, R = unknown> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private stopped = false;
  /** A flush asked for during a run (its `now`), run once that one ends. */
  private again: boolean | undefined;
  private readonly wake = () => void this.flush(true);

  constructor(
    private readonly store: QueueStore<T>,
    private readonly upload: (item: T) => Promise<Attempt<R>>,
    private readonly hooks: QueueHooks<T, R>,
    private readonly now: () => number = Date.now,
  ) {
    window.addEventListener('online', this.wake);
  }

  /** Kept first, then tried at once; settles once kept (a failed keep rejects), not once sent. */
  async add(item: Omit<T, 'attempts' | 'notBefore'>): Promise<void> {
    await this.store.put({ ...item, attempts: 0, notBefore: 0 } as T);
    void this.flush();
  }

  /** Whether the items outlive the page. */
  get kept(): boolean {
    return this.store.kept;
  }

  /** `now`: also the items waiting for their next try (the network is back). */
  async flush(now = false): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      // The network came back mid-run: without another run its items would wait for their timers.
      this.again = (this.again ?? false) || now;
      return;
    }
    this.running = true;
    clearTimeout(this.timer);
    let left: T[] | null = null;
    try {
      const items = await this.store.all();
      this.hooks.changed(items);
      for (const p of dueItems(items, now ? Infinity : this.now())) {
        // A stopped queue (its user signed out) hands the rest to the next one opened on the same store.
        if (this.stopped) break;
        const res = await this.upload(p);
        if (res.status >= 200 && res.status < 300) {
          await this.store.remove(p.id);
          this.hooks.sent(p, res.body);
        } else if (isRetryable(res.status)) {
          await this.store.put(nextTry(p, this.now()));
        } else {
          await this.store.remove(p.id);
          // An empty reason would show nothing: name the status instead.
          this.hooks.refused(p, res.message || String(res.status));
        }
        this.hooks.changed(await this.store.all());
      }
      left = await this.store.all();
    } catch {
      // The phone's storage failed (full, evicted): the items stay where they are; try again later
      // rather than leave the queue without a timer.
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.again !== undefined) {
      const again = this.again;
      this.again = undefined;
      return this.flush(again);
    }
    if (left === null) {
      this.timer = setTimeout(() => void this.flush(), STORAGE_RETRY_MS);
      return;
    }
    this.hooks.changed(left);
    if (left.length) {
      const next = Math.min(...left.map((p) => p.notBefore));
      this.timer = setTimeout(() => void this.flush(), Math.max(0, next - this.now()));
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.wake);
  }
}

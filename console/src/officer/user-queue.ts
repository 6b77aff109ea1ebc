/**
 * The signed-in user's upload queues, owned by the app rather than by a screen: the app opens each
 * queue the user's screens need once, at sign-in, and it runs whatever screen is shown, so a photo
 * queued on "my orders" goes while the report screen is open, and the other way round. The app is
 * drawn per user (keyed by the user's name), so signing out or another user signing in stops the
 * previous user's queues: none of their items goes under another's session. Screens read the
 * queue's items and last refusal, and hear of each item sent while they are shown (`onSent`).
 */
import { useLayoutEffect, useState } from 'preact/hooks';
import { openQueueStore, UploadQueue, type Attempt, type QueueHooks, type QueueName, type Queued } from './upload-queue';

export type Upload<T, R> = (item: T) => Promise<Attempt<R>>;
export type SentListener<T, R> = (item: T, answer: R | undefined) => void;

type NewItem<T extends Queued> = Omit<T, 'attempts' | 'notBefore'>;

/** A queue the app started. */
export interface StartedQueue<T extends Queued> {
  /** Keeps an item, then tries it; waits for the store to open first, so an early item is not lost. */
  add(item: NewItem<T>): Promise<void>;
  stop(): void;
}

/**
 * Opens `user`'s queue `name` and runs it; `opened` hears whether its items outlive the page.
 * Stopped before the store is open (the user signed out meanwhile), it starts nothing.
 */
export function startQueue<T extends Queued, R>(
  name: QueueName,
  user: string,
  upload: Upload<T, R>,
  hooks: QueueHooks<T, R>,
  opened: (kept: boolean) => void,
): StartedQueue<T> {
  let stopped = false;
  const queue = openQueueStore<T>(name, user).then((store) => {
    if (stopped) return null;
    const q = new UploadQueue(store, upload, hooks);
    opened(q.kept);
    void q.flush();
    return q;
  });
  return {
    add: async (item) => {
      const q = await queue;
      if (!q) throw new Error(`the ${name} queue of ${user} is stopped`);
      // Stopped since (signed out while a photo was scaled): still kept, in the user's own store, for their next sign-in.
      return q.add(item);
    },
    stop: () => {
      stopped = true;
      void queue.then((q) => q?.stop());
    },
  };
}

export interface UserQueue<T extends Queued, R> {
  /** Keeps an item, then tries it; null when no screen of the user needs the queue. Clears the last refusal. */
  add: ((item: NewItem<T>) => Promise<void>) | null;
  /** The items still on the phone. */
  items: readonly T[];
  /** False when the phone cannot keep them (no IndexedDB: private mode, storage blocked): they live as long as the page. */
  kept: boolean;
  /** Why the centre refused the last item it refused. */
  refusal: string | null;
  /** Tells `fn` of each item the centre takes from now on; returns the way to stop telling it. */
  onSent(fn: SentListener<T, R>): () => void;
}

/** `user`'s queue `name`, running from the first render to the last while `open`. */
export function useUserQueue<T extends Queued, R>(name: QueueName, user: string, upload: Upload<T, R>, open: boolean): UserQueue<T, R> {
  const [items, setItems] = useState<readonly T[]>([]);
  const [kept, setKept] = useState(true);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [listeners] = useState(() => new Set<SentListener<T, R>>());
  const [onSent] = useState(() => (fn: SentListener<T, R>) => {
    listeners.add(fn);
    return () => void listeners.delete(fn);
  });
  // Started on the first render, not in an effect, so an item added at once already has its queue.
  const [queue] = useState(() => open ? startQueue(name, user, upload, {
    changed: setItems,
    sent: (item, answer) => listeners.forEach((fn) => fn(item, answer)),
    refused: (_item, message) => setRefusal(message),
  }, setKept) : null);
  // A layout effect's cleanup exists from the commit on: a screen gone before its first paint still stops its queue.
  useLayoutEffect(() => () => queue?.stop(), []);
  const add = queue && ((item: NewItem<T>) => {
    setRefusal(null);
    return queue.add(item);
  });
  return { add, items, kept, refusal, onSent };
}

/**
 * The signed-in user's upload queues, owned by the app rather than by a screen: the app opens each
 * queue the user's screens need once, at sign-in, and it runs whatever screen is shown, so a photo
 * queued on "my orders" goes while the report screen is open, and the other way round. The app is
 * drawn per user (keyed by the user's name), so signing out or another user signing in stops the
 * previous user's queues: none of their items goes under another's session. Screens read the
 * queue's items and last refusal, and hear of each item sent while they are shown (`onSent`).
 */
import { useEffect, useState } from 'preact/hooks';
import { openQueueStore, UploadQueue, type Attempt, type QueueHooks, type QueueName, type Queued } from './upload-queue';

export type Upload<T, R> = (item: T) => Promise<Attempt<R>>;
export type SentListener<T, R> = (item: T, answer: R | undefined) => void;

/**
 * Opens `user`'s queue `name` and runs it, handing it to `started`; the returned function stops it.
 * Stopped before the store is open (the user signed out meanwhile), it starts nothing.
 */
export function startQueue<T extends Queued, R>(
  name: QueueName,
  user: string,
  upload: Upload<T, R>,
  hooks: QueueHooks<T, R>,
  started: (q: UploadQueue<T, R>) => void,
): () => void {
  let queue: UploadQueue<T, R> | null = null;
  let stopped = false;
  void openQueueStore<T>(name, user).then((store) => {
    if (stopped) return;
    queue = new UploadQueue(store, upload, hooks);
    started(queue);
    void queue.flush();
  });
  return () => {
    stopped = true;
    queue?.stop();
  };
}

export interface UserQueue<T extends Queued, R> {
  /** Keeps an item, then tries it; null until the store is open (or when no screen of the user needs the queue). Clears the last refusal. */
  add: ((item: Omit<T, 'attempts' | 'notBefore'>) => Promise<void>) | null;
  /** The items still on the phone. */
  items: readonly T[];
  /** Why the centre refused the last item it refused. */
  refusal: string | null;
  /** Tells `fn` of each item the centre takes from now on; returns the way to stop telling it. */
  onSent(fn: SentListener<T, R>): () => void;
}

/** `user`'s queue `name`, running from the first render to the last while `open`. */
export function useUserQueue<T extends Queued, R>(name: QueueName, user: string, upload: Upload<T, R>, open: boolean): UserQueue<T, R> {
  const [queue, setQueue] = useState<UploadQueue<T, R> | null>(null);
  const [items, setItems] = useState<readonly T[]>([]);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [listeners] = useState(() => new Set<SentListener<T, R>>());
  const [onSent] = useState(() => (fn: SentListener<T, R>) => {
    listeners.add(fn);
    return () => void listeners.delete(fn);
  });
  useEffect(() => {
    if (!open) return;
    return startQueue(name, user, upload, {
      changed: setItems,
      sent: (item, answer) => listeners.forEach((fn) => fn(item, answer)),
      refused: (_item, message) => setRefusal(message),
    }, setQueue);
  }, []);
  const add = queue && ((item: Omit<T, 'attempts' | 'notBefore'>) => {
    setRefusal(null);
    return queue.add(item);
  });
  return { add, items, refusal, onSent };
}

/**
 * The live stream (`/api/events`, server-sent events). The browser's own EventSource retry is not
 * used: on a loss the connection is closed and reopened with growing delays, and the app is told
 * so it can say "reconnecting" and, once back, reload what it may have missed.
 */
import type { LiveEvent } from './api-types';
import { reconnectDelayMs } from './backoff';

export type LinkState = { state: 'connecting' } | { state: 'live' } | { state: 'reconnecting'; attempt: number; retryAt: number };

export interface LiveHandlers {
  event(e: LiveEvent): void;
  /** Called on every (re)connection, before any event on it: time to reload the lists. */
  opened(): void;
  link(state: LinkState): void;
}

const KINDS: LiveEvent['kind'][] = ['order', 'device', 'config_desired'];

/** `url`: the officer app asks for its own orders only (`/api/events?scope=mine`). */
export function connectLive(h: LiveHandlers, url = '/api/events'): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;

  const open = () => {
    const es = new EventSource(url);
    source = es;
    es.onopen = () => {
      attempt = 0;
      h.link({ state: 'live' });
      h.opened();
    };
    for (const kind of KINDS) es.addEventListener(kind, (m) => h.event(JSON.parse((m as MessageEvent<string>).data) as LiveEvent));
    es.onerror = () => {
      es.close();
      if (stopped) return;
      const delay = reconnectDelayMs(attempt);
      h.link({ state: 'reconnecting', attempt: attempt + 1, retryAt: Date.now() + delay });
      attempt++;
      timer = setTimeout(open, delay);
    };
  };

  h.link({ state: 'connecting' });
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}

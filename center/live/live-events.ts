/**
 * Live events for the console, and the in-process hub that fans them out to open event streams.
 * Producers in other processes reach the hub through the Redis relay (live-relay.ts).
 */
import type { Logger } from '../../common/logger.js';
import type { LiveEvent } from '../../contract/index.js';

export type { LiveEvent };

export type LiveListener = (event: LiveEvent) => void;

export interface LiveFeed {
  /** Returns the unsubscribe function. */
  subscribe(listener: LiveListener): () => void;
}

export class LiveHub implements LiveFeed {
  private readonly listeners = new Set<LiveListener>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Never throws. Producers emit from inside MQTT and Redis message handlers, where an exception
   * is uncaught and ends the process; a listener that fails (e.g. an event JSON.stringify cannot
   * write) misses that event, and the other listeners still get it.
   */
  emit(event: LiveEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.error({ err, kind: event.kind, deviceId: event.kind === 'order' ? event.order.deviceId : event.deviceId }, 'console: live event dropped for a stream');
      }
    }
  }

  /** Open streams, for /metrics. */
  get size(): number {
    return this.listeners.size;
  }
}

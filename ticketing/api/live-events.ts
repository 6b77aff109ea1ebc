/**
 * Live events for the console, and the in-process hub that fans them out to open event streams.
 * Producers in other processes reach the hub through the Redis relay (live-relay.ts).
 */
import type { ConfigReportedMessage, StatusMessage, TelemetryMessage } from '../../contract/index.js';
import type { WorkOrder } from '../work-order.js';
import type { DesiredConfig } from './desired-config-store.js';

export type LiveEvent =
  /** An order was created or changed (review items are orders in `pending_review`). */
  | { kind: 'order'; order: WorkOrder }
  /** A box said something about itself; `receivedAt` is when the centre heard it. */
  | { kind: 'device'; deviceId: string; receivedAt: string; status?: StatusMessage; telemetry?: TelemetryMessage; configReported?: ConfigReportedMessage }
  /** Someone sent a box new zones. */
  | { kind: 'config_desired'; deviceId: string; desired: DesiredConfig };

export type LiveListener = (event: LiveEvent) => void;

export interface LiveFeed {
  /** Returns the unsubscribe function. */
  subscribe(listener: LiveListener): () => void;
}

export class LiveHub implements LiveFeed {
  private readonly listeners = new Set<LiveListener>();

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LiveEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Open streams, for /metrics. */
  get size(): number {
    return this.listeners.size;
  }
}

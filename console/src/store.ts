/**
 * What the console knows, kept current by the live stream: open orders (the review queue and the
 * board), devices, and the remote-config state of the boxes looked at. A (re)connection reloads
 * the lists; events that arrive while they load are held and replayed on top, so nothing seen
 * live is lost to an older list. Views subscribe and re-render on change, at most every
 * NOTIFY_MS however fast events come.
 */
import { useEffect, useState } from 'preact/hooks';
import { allPages, api } from './api';
import type { DesiredConfig, Device, DeviceConfig, LiveEvent, OrderState, WorkOrder } from './api-types';

export const OPEN_STATES: readonly OrderState[] = ['pending_review', 'dispatched', 'accepted', 'on_site', 'unable'];
export const BOARD_STATES: readonly OrderState[] = ['dispatched', 'accepted', 'on_site', 'unable'];
export const isOpen = (s: OrderState): boolean => OPEN_STATES.includes(s);

const NOTIFY_MS = 50;
/** Closed orders kept for detail views that are still showing them. */
const RECENTLY_CLOSED = 500;

const newer = (a: { updatedAt: string }, b: { updatedAt: string } | undefined): boolean => !b || a.updatedAt >= b.updatedAt;

export class ConsoleStore {
  readonly orders = new Map<string, WorkOrder>();
  readonly devices = new Map<string, Device>();
  readonly desired = new Map<string, DesiredConfig | null>();
  readonly reported = new Map<string, DeviceConfig['reported']>();
  /** Counts order changes, so views that derive figures (KPIs) know when to fetch again. */
  orderChanges = 0;
  loaded = false;
  private readonly closed = new Map<string, WorkOrder>();
  private readonly listeners = new Set<() => void>();
  private held: LiveEvent[] | null = null;
  private pending: ReturnType<typeof setTimeout> | undefined;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.pending ??= setTimeout(() => this.flush(), NOTIFY_MS);
  }

  private flush(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    for (const l of this.listeners) l();
  }

  /** An order as last seen, open or recently closed. */
  order(id: string): WorkOrder | undefined {
    return this.orders.get(id) ?? this.closed.get(id);
  }

  putOrder(o: WorkOrder): void {
    if (!newer(o, this.order(o.id))) return;
    if (isOpen(o.state)) {
      this.orders.set(o.id, o);
      this.closed.delete(o.id);
    } else {
      this.orders.delete(o.id);
      this.closed.set(o.id, o);
      if (this.closed.size > RECENTLY_CLOSED) this.closed.delete(this.closed.keys().next().value!);
    }
    this.orderChanges++;
    this.changed();
  }

  setConfig(deviceId: string, cfg: DeviceConfig): void {
    this.desired.set(deviceId, cfg.desired);
    this.reported.set(deviceId, cfg.reported);
    this.changed();
  }

  apply(e: LiveEvent): void {
    if (this.held) {
      this.held.push(e);
      return;
    }
    if (e.kind === 'order') this.putOrder(e.order);
    else if (e.kind === 'config_desired') {
      const cur = this.desired.get(e.deviceId);
      if (!cur || e.desired.version >= cur.version) this.desired.set(e.deviceId, e.desired);
    } else {
      const d: Device = this.devices.get(e.deviceId) ?? { deviceId: e.deviceId, revokedAt: null, lastSeenAt: null, status: null, telemetry: null };
      const next: Device = { ...d, lastSeenAt: !d.lastSeenAt || e.receivedAt > d.lastSeenAt ? e.receivedAt : d.lastSeenAt };
      if (e.status) next.status = e.status;
      if (e.telemetry && (!d.telemetry || e.telemetry.at >= d.telemetry.at)) next.telemetry = e.telemetry;
      this.devices.set(e.deviceId, next);
      if (e.configReported) this.reported.set(e.deviceId, { message: e.configReported, receivedAt: e.receivedAt });
    }
    this.changed();
  }

  /** Reloads the open orders and devices; live events meanwhile are replayed afterwards. */
  async reload(): Promise<void> {
    this.held ??= [];
    try {
      const [review, board, devices] = await Promise.all([
        allPages<WorkOrder>('/api/review'),
        allPages<WorkOrder>(`/api/orders?state=${BOARD_STATES.join(',')}`),
        api<{ items: Device[] }>('/api/devices'),
      ]);
      this.orders.clear();
      for (const o of [...review, ...board]) this.orders.set(o.id, o);
      this.devices.clear();
      for (const d of devices.items) this.devices.set(d.deviceId, d);
      this.loaded = true;
      this.orderChanges++;
    } finally {
      const held = this.held ?? [];
      this.held = null;
      for (const e of held) this.apply(e);
      this.flush(); // a freshly loaded list is drawn at once, not after the coalescing delay
    }
  }
}

/** Re-renders the calling component whenever the store changes. */
export function useStore(store: ConsoleStore): ConsoleStore {
  const [, bump] = useState(0);
  useEffect(() => store.subscribe(() => bump((n) => n + 1)), [store]);
  return store;
}

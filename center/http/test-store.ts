/**
 * Tests only: the real RedisWorkOrderStore on a throw-away key prefix, a tiny workflow on top of
 * it, and a seeding helper that goes through the WorkOrderStore interface only.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import type { DetectionMessage, EvidenceRef, PlateRead, ViolationType } from '../../contract/index.js';
import type { WorkOrderStore } from '../../ticketing/store-types.js';
import { OrderNotFoundError, RedisWorkOrderStore } from '../../ticketing/work-order-store.js';
import { applyUnable, assertPersonMayMove, type OrderState, type WorkOrder } from '../../ticketing/work-order.js';
import type { WorkflowActions } from './deps.js';
import { deleteKeys } from '../../test/helpers/redis-keys.js';

const newId = monotonicFactory();

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A store on its own prefix, and its connection; `close` deletes every key under the prefix and disconnects. */
export function redisStore(): { store: RedisWorkOrderStore; redis: Redis; prefix: string; close(): Promise<void> } {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const prefix = `{swapi-${randomBytes(6).toString('hex')}}`;
  return {
    store: new RedisWorkOrderStore(redis, prefix),
    redis,
    prefix,
    async close() {
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
/** The workflow reduced to its store calls; the yield lets two concurrent requests interleave. */
export function storeActions(store: WorkOrderStore): WorkflowActions {
  const tick = () => new Promise((r) => setImmediate(r));
  const current = async (id: string) => {
    const o = await store.get(id);
    if (!o) throw new OrderNotFoundError(id);
    await tick();
    return o;
  };
  return {
    async confirm(id, user) {
      await current(id);
      return store.transition(id, 'dispatched', user.name, { expectFrom: 'pending_review', note: 'confirmed by operator' });
    },
    async reject(id, user, reason, note) {
      await current(id);
      return store.transition(id, 'rejected', user.name, { expectFrom: 'pending_review', note, rejection: { reason, ...(note ? { note } : {}) } });
    },
    async transition(id, to, user, note) {
      const o = await current(id);
      assertPersonMayMove(o, to);
      return store.transition(id, to, user.name, { expectFrom: o.state, note });
    },
    async unable(id, user, reason, note) {
      await current(id);
      return store.apply(id, (o) => applyUnable(o, reason, user.name, new Date().toISOString(), note));
    },
    async reassign(id, to, user, note) {
      await current(id);
      return store.reassign(id, { team: to.team, assignee: to.assignee ?? null }, user.name, { note });
    },
  };
}

export interface Seed {
  type?: ViolationType;
  state?: OrderState;
  deviceId?: string;
  cameraId?: string;
  team?: string;
  assignee?: string | null;
  plate?: string;
  discoveredAt: string;
  evidence?: Array<Pick<EvidenceRef, 'sha256' | 'kind'>>;
  location?: WorkOrder['location'];
}

/** From where an order is created to `state`, through legal moves only. */
const PATHS: Record<OrderState, OrderState[]> = {
  pending_review: [],
  dispatched: [],
  accepted: ['accepted'],
  on_site: ['accepted', 'on_site'],
  resolved: ['accepted', 'on_site', 'resolved'],
  rejected: ['rejected'],
  self_cleared: ['self_cleared'],
  cancelled: ['cancelled'],
  verified: ['accepted', 'on_site', 'resolved', 'verified'],
  unable: ['unable'],
};
const STARTS_PENDING = new Set<OrderState>(['pending_review', 'rejected', 'self_cleared', 'cancelled']);

/** Creates one order through the store interface; a fresh zone per seed keeps de-dup out of the way. */
export async function seedOrder(store: WorkOrderStore, s: Seed): Promise<WorkOrder> {
  const state = s.state ?? 'dispatched';
  const at = s.discoveredAt;
  const plate: PlateRead | undefined = s.plate ? { text: s.plate, confidence: 0.9, readAt: at } : undefined;
  const detection: DetectionMessage = {
    v: 1,
    eventId: newId(),
    seq: 0,
    deviceId: s.deviceId ?? 'box-1',
    cameraId: s.cameraId ?? 'cam-1',
    zoneId: `z${newId()}`,
    type: s.type ?? 'illegal_parking',
    state: 'started',
    label: s.type === 'street_vending' ? 'stall' : 'car',
    confidence: 0.8,
    bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 },
    firstSeenAt: at,
    discoveredAt: at,
    sentAt: at,
    evidence: (s.evidence ?? []).map((e) => ({ evidenceId: newId(), sha256: e.sha256, kind: e.kind, capturedAt: at, contentType: 'image/jpeg', bytes: 1234 })),
    ...(plate ? { plate } : {}),
  };
  const { order } = await store.openOrMerge({
    detection,
    team: s.team ?? 'north',
    assignee: s.assignee === undefined ? 'o-north' : s.assignee,
    location: s.location === undefined ? { lat: 32.06, long: 118.79, address: '1 Zhongshan Rd' } : s.location,
    confirmed: !STARTS_PENDING.has(state),
    deadlineAt: new Date(Date.parse(at) + 40 * 60_000).toISOString(),
    dedupeIou: 0.5,
    plateWindowMs: 0,
    nowIso: at,
  });
  let cur = order;
  for (const to of PATHS[state]) cur = await store.transition(cur.id, to, 'seed');
  return cur;
}

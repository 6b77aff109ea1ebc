/** Test support: opens a work order straight through the store, one per call (never merged). */
import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import type { DetectionMessage } from '../contract/index.js';
import type { WorkOrderStore } from './store-types.js';
import type { WorkOrder } from './work-order.js';

export async function openTestOrder(
  store: WorkOrderStore,
  opts: { discoveredAtMs?: number; confirmed?: boolean; plate?: string } = {},
): Promise<WorkOrder> {
  const at = new Date(opts.discoveredAtMs ?? Date.now()).toISOString();
  // Each order its own camera, so de-duplication never merges two of them.
  const detection: DetectionMessage = {
    v: 1, eventId: ulid(), seq: 0, deviceId: 'pole-0001', cameraId: `cam-${randomBytes(4).toString('hex')}`, zoneId: 'kerb',
    type: 'illegal_parking', state: 'started', label: 'car', confidence: 0.8, bbox: { x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.4 },
    firstSeenAt: at, discoveredAt: at, sentAt: new Date().toISOString(), evidence: [],
    ...(opts.plate ? { plate: { text: opts.plate, confidence: 0.9, readAt: at } } : {}),
  };
  const { order, created } = await store.openOrMerge({
    detection, team: 'team-north', assignee: 'li', location: null, confirmed: opts.confirmed ?? true,
    deadlineAt: new Date(Date.parse(at) + 40 * 60_000).toISOString(), dedupeIou: 0.5, plateWindowMs: 2 * 3600_000, nowIso: new Date().toISOString(),
  });
  if (!created) throw new Error('openTestOrder: the store merged instead of creating');
  return order;
}

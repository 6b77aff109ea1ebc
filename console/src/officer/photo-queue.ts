/**
 * Scene photos waiting to be uploaded, through the upload queue (upload-queue.ts): each is an
 * order's photo, sent as the JPEG body of POST /api/orders/:id/photos, which answers the order.
 */
import type { WorkOrder } from '../api-types';
import { postUpload, type Queued } from './upload-queue';

export interface QueuedPhoto extends Queued {
  orderId: string;
  blob: Blob;
}

/** A new photo's queue id: sorts by when it was taken. */
export const photoId = (nowMs: number): string => `${nowMs.toString(36).padStart(9, '0')}-${Math.random().toString(36).slice(2, 8)}`;

export const uploadPhoto = (p: QueuedPhoto) =>
  postUpload<WorkOrder>(`/api/orders/${encodeURIComponent(p.orderId)}/photos`, { body: p.blob, headers: { 'content-type': 'image/jpeg' } });

export interface QueueState {
  /** Photos not yet at the centre, per order. */
  pending: Map<string, number>;
  /** Some failed at least once and wait for their next try. */
  retrying: boolean;
}

/** Pure: what the screen shows about the queue. */
export function stateOf(queue: readonly QueuedPhoto[]): QueueState {
  const pending = new Map<string, number>();
  for (const p of queue) pending.set(p.orderId, (pending.get(p.orderId) ?? 0) + 1);
  return { pending, retrying: queue.some((p) => p.attempts > 0) };
}

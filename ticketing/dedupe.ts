/**
 * De-duplication of detections against open work orders — pure, no I/O. The store calls these
 * inside its atomic read-decide-commit loop, so the rule lives in one place.
 */
import type { DetectionMessage, EvidenceRef, NormBox, OrderEvidenceRef } from '../contract/index.js';
import { isOpen, type WorkOrder } from './work-order.js';

/** Intersection over union of two normalised boxes; 0 for disjoint or degenerate boxes. */
export function boxIou(a: NormBox, b: NormBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const area = (r: NormBox): number => Math.max(0, r.x2 - r.x1) * Math.max(0, r.y2 - r.y1);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Plate text as compared and indexed: OCR and locales disagree on spaces, dashes and case. */
export function normalisePlate(text: string): string {
  return text.toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/** The de-dup scope: only orders at the same device/camera/zone for the same violation can merge. */
export function dedupeScope(o: Pick<WorkOrder, 'deviceId' | 'cameraId' | 'zoneId' | 'type'>): string {
  return `${o.deviceId}/${o.cameraId}/${o.zoneId}/${o.type}`;
}

type Order = Pick<WorkOrder, 'state' | 'deviceId' | 'cameraId' | 'zoneId' | 'type' | 'eventIds' | 'bbox' | 'plate' | 'discoveredAt'>;

/** Why a detection belongs to an open order, strongest first; null when it does not. */
export type MatchReason = 'event' | 'iou' | 'plate';

export function matchReason(order: Order, d: DetectionMessage, iouThreshold: number, plateWindowMs: number): MatchReason | null {
  if (!isOpen(order.state) || dedupeScope(order) !== dedupeScope(d)) return null;
  if (order.eventIds.includes(d.eventId)) return 'event';
  // Sensor-only detections carry no box: they merge only by eventId or plate.
  if (order.bbox && d.bbox && boxIou(order.bbox, d.bbox) >= iouThreshold) return 'iou';
  // Issue 4: a re-parked or re-tracked car gets a new box/event but keeps its plate.
  if (
    order.plate && d.plate &&
    normalisePlate(order.plate.text) === normalisePlate(d.plate.text) &&
    Math.abs(Date.parse(d.discoveredAt) - Date.parse(order.discoveredAt)) <= plateWindowMs
  ) return 'plate';
  return null;
}

/** Same scope, open, and (holds the eventId, or IoU ≥ threshold, or same plate within the window). */
export function matchesOpenOrder(order: Order, d: DetectionMessage, iouThreshold: number, plateWindowMs: number): boolean {
  return matchReason(order, d, iouThreshold, plateWindowMs) !== null;
}

/**
 * The order a detection merges into when several match: the one holding its eventId, else the
 * highest IoU, else the earliest plate match — deterministic, so racing copies agree.
 */
export function bestMatch<T extends Order & Pick<WorkOrder, 'id'>>(orders: readonly T[], d: DetectionMessage, iouThreshold: number, plateWindowMs: number): T | null {
  let best: { o: T; rank: number; iou: number } | null = null;
  const RANK: Record<MatchReason, number> = { event: 3, iou: 2, plate: 1 };
  for (const o of orders) {
    const why = matchReason(o, d, iouThreshold, plateWindowMs);
    if (!why) continue;
    const iou = o.bbox && d.bbox ? boxIou(o.bbox, d.bbox) : 0;
    const better = !best || RANK[why] > best.rank || (RANK[why] === best.rank && (iou > best.iou || (iou === best.iou && o.id < best.o.id)));
    if (better) best = { o, rank: RANK[why], iou };
  }
  return best?.o ?? null;
}

/** `existing` plus the refs it does not hold yet (by evidenceId), in arrival order. */
export function appendEvidence<E extends EvidenceRef | OrderEvidenceRef>(existing: readonly E[], refs: readonly E[]): E[] {
  const seen = new Set(existing.map((e) => e.evidenceId));
  const out = [...existing];
  for (const r of refs) {
    if (seen.has(r.evidenceId)) continue;
    seen.add(r.evidenceId);
    out.push(r);
  }
  return out;
}

/**
 * A duplicate detection folded into its order: eventId (if new), new evidence, the max
 * confidence, the latest box and label (camera detections only), and the better plate read. A new
 * event drops the edge's earlier end (`edgeEnded`): the problem is seen again, so that end no longer
 * says it is gone (camera verification relies on it). Returns null when nothing changes, so identical redeliveries cost no write (and no conflict).
 * State, team, assignee, discoveredAt and the deadline never change here.
 */
export function mergeDetection(order: WorkOrder, d: DetectionMessage, nowIso: string): WorkOrder | null {
  const next: WorkOrder = {
    ...order,
    eventIds: order.eventIds.includes(d.eventId) ? order.eventIds : [...order.eventIds, d.eventId],
    evidence: appendEvidence(order.evidence, d.evidence),
    confidence: Math.max(order.confidence, d.confidence),
    bbox: d.bbox ?? order.bbox,
    label: d.bbox ? d.label : order.label,
    plate: betterPlate(order.plate, d.plate ?? null),
    edgeEnded: order.eventIds.includes(d.eventId) ? order.edgeEnded : null,
  };
  const fields = ['eventIds', 'evidence', 'confidence', 'bbox', 'label', 'plate', 'edgeEnded'] as const;
  const changed = fields.some((f) => JSON.stringify(next[f]) !== JSON.stringify(order[f]));
  return changed ? { ...next, updatedAt: nowIso } : null;
}

/** A later read replaces the plate unless it is less confident (OCR of a passing frame). */
function betterPlate(cur: WorkOrder['plate'], read: WorkOrder['plate']): WorkOrder['plate'] {
  if (!read) return cur;
  if (!cur) return read;
  return read.confidence >= cur.confidence ? read : cur;
}

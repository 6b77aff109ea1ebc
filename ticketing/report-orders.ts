/**
 * Orders from people's reports (Open311 clients, inspectors) — pure, no I/O. A report joins an open
 * order of its type near it in place and time instead of opening another; a camera later seeing a
 * reported problem merges into that order. The store calls these inside its guarded commits.
 */
import type { DetectionMessage, EvidenceRef, Report, ViolationType } from '../contract/index.js';
import { appendEvidence, mergeDetection, normalisePlate } from './dedupe.js';
import { distanceMeters } from './geo.js';
import { isOpen, type OrderState, type WorkOrder } from './work-order.js';

/** How close in place and time a report (or a detection, to a reported order) must be to join an order. */
export interface NearRule {
  radiusMeters: number;
  windowMs: number;
}

/** De-dup scope of every open order of a type with a place on the map: where reports look. */
export const nearScope = (type: ViolationType): string => `near/${type}`;
/** De-dup scope of the open orders people reported: where camera detections look beyond their own camera's. */
export const reportedScope = (type: ViolationType): string => `reported/${type}`;

/** What is compared: the newcomer's type, place, time and plate (if it names one). */
export interface NearProbe {
  type: ViolationType;
  location: { lat: number; long: number };
  atMs: number;
  plate?: string | null;
}

type Candidate = Pick<WorkOrder, 'id' | 'state' | 'type' | 'location' | 'discoveredAt' | 'plate'>;

/** Metres from the order, when it is open, of the type, within the radius and window, and no other plate; else null. */
export function nearDistance(order: Candidate, probe: NearProbe, rule: NearRule): number | null {
  if (!isOpen(order.state) || order.type !== probe.type || !order.location) return null;
  if (Math.abs(Date.parse(order.discoveredAt) - probe.atMs) > rule.windowMs) return null;
  // Two plates that differ are two vehicles, however close.
  if (probe.plate && order.plate && normalisePlate(probe.plate) !== normalisePlate(order.plate.text)) return null;
  const m = distanceMeters(order.location, probe.location);
  return m <= rule.radiusMeters ? m : null;
}

/** The nearest matching order (ties: the oldest id, so racing copies agree), or null. */
export function nearestMatch<T extends Candidate>(orders: readonly T[], probe: NearProbe, rule: NearRule): T | null {
  let best: { o: T; m: number } | null = null;
  for (const o of orders) {
    const m = nearDistance(o, probe, rule);
    if (m !== null && (!best || m < best.m || (m === best.m && o.id < best.o.id))) best = { o, m };
  }
  return best?.o ?? null;
}

/** A report joins an order: kept with its photos; state, team and deadline unchanged. Null when it is there already. */
export function mergeReport(order: WorkOrder, report: Report, evidence: readonly EvidenceRef[], nowIso: string): WorkOrder | null {
  if (order.reports.some((r) => r.id === report.id)) return null;
  return {
    ...order,
    reports: [...order.reports, report],
    evidence: appendEvidence(order.evidence, evidence),
    plate: order.plate ?? reportedPlate(report),
    updatedAt: nowIso,
    audit: [...order.audit, { at: nowIso, by: reporterName(report), from: order.state, to: order.state, note: `report ${report.id} joined` }],
  };
}

/** A camera sees a reported problem no camera saw yet: the order takes its device, events and photos; its source stays. */
export function mergeCameraIntoReport(order: WorkOrder, d: DetectionMessage, nowIso: string): WorkOrder | null {
  if (order.deviceId !== null) return null;
  return mergeDetection({ ...order, deviceId: d.deviceId, cameraId: d.cameraId, zoneId: d.zoneId }, d, nowIso);
}

export interface NewReportOrder {
  report: Report;
  type: ViolationType;
  evidence: readonly EvidenceRef[];
  team: string;
  assignee: string | null;
  confirmed: boolean;
  deadlineAt: string;
  nowIso: string;
}

/** The order a report opens: no camera, discovered when it was received. */
export function buildReportOrder(input: NewReportOrder, id: string): WorkOrder {
  const { report, nowIso } = input;
  const state: OrderState = input.confirmed ? 'dispatched' : 'pending_review';
  return {
    id,
    type: input.type,
    state,
    source: report.source,
    deviceId: null,
    cameraId: null,
    zoneId: null,
    team: input.team,
    assignee: input.assignee,
    location: report.location,
    eventIds: [],
    evidence: appendEvidence([], input.evidence),
    reports: [report],
    bbox: null,
    label: 'report',
    // A person saw it.
    confidence: 1,
    plate: reportedPlate(report),
    discoveredAt: report.receivedAt,
    createdAt: nowIso,
    updatedAt: nowIso,
    deadlineAt: input.deadlineAt,
    stateTimes: { [state]: nowIso },
    sla: 'green',
    edgeEnded: null,
    rejection: null,
    audit: [{ at: nowIso, by: reporterName(report), from: null, to: state, note: input.confirmed ? 'reported; confirmed' : 'reported; awaiting review' }],
  };
}

const reportedPlate = (r: Report): WorkOrder['plate'] => (r.plate ? { text: r.plate, confidence: 1, readAt: r.receivedAt } : null);

/** Who the audit trail names: the inspector, or `open311:<client>`. */
const reporterName = (r: Report): string => r.user ?? `open311:${r.clientId ?? 'unknown'}`;

/** What the rest of the centre needs from work-order storage (implemented on Redis). */
import type { DetectionMessage, EvidenceRef, OrderEvidenceRef, Report, ViolationType } from '../contract/index.js';
import type { NearRule } from './report-orders.js';
import type { OutboxFn } from './outbox.js';
import type { OrderState, SlaLevel, WorkOrder } from './work-order.js';

export interface OpenOrderInput {
  detection: DetectionMessage;
  team: string;
  /**
   * The officer, or how to pick one for a new order from the open orders of each of the team's
   * officers (read with the de-dup snapshot, so a merge costs no extra read).
   */
  assignee: string | null | ((openCounts: ReadonlyMap<string, number>) => string | null);
  location: WorkOrder['location'];
  /** Confirmed (auto or by an operator) → `dispatched`; else `pending_review`. */
  confirmed: boolean;
  deadlineAt: string;
  /** IoU at or above which a detection at the same camera/zone/type merges into an open order. */
  dedupeIou: number;
  /** Same plate at the same camera within this many ms merges too (issue 4). */
  plateWindowMs: number;
  nowIso: string;
  /** The side effects of the write (new order or merge), committed with it. */
  outbox?: OutboxFn;
  /** With a location: how near a reported order (no camera yet) must be for the detection to merge into it. */
  near?: NearRule;
}

/** A person's report: joins an open order of its type near it, or opens one. */
export interface OpenReportInput {
  report: Report;
  type: ViolationType;
  /** The report's photos (kind `report`). */
  evidence: EvidenceRef[];
  team: string;
  /** As in OpenOrderInput; used only for a new order. */
  assignee: OpenOrderInput['assignee'];
  confirmed: boolean;
  deadlineAt: string;
  near: NearRule;
  nowIso: string;
  outbox?: OutboxFn;
}

/** Who handles an order: a team, and one of its officers or none yet. */
export interface Assignment {
  team: string;
  assignee: string | null;
}

export interface OrderFilter {
  state?: OrderState[];
  team?: string;
  type?: WorkOrder['type'];
  deviceId?: string;
  cameraId?: string;
  assignee?: string;
  plate?: string;
  /** The signed-in user one of the order's reports names (`Report.user`). */
  reporter?: string;
  /** discoveredAt range, ISO. */
  from?: string;
  to?: string;
}

export interface WorkOrderStore {
  /**
   * Atomically: if an open order at the same device/camera/zone/type overlaps the detection's box
   * (IoU ≥ dedupeIou) or already holds its eventId, merge into it (eventId, evidence, confidence,
   * bbox); otherwise create one. Never two orders for one problem, however many copies race.
   * A message of an event whose order is already closed returns that order unchanged
   * (`created: false`, closed state) instead of opening a new one: a rejected or resolved
   * problem is not reopened by the same event's late updates.
   */
  openOrMerge(input: OpenOrderInput): Promise<{ order: WorkOrder; created: boolean }>;
  /**
   * Atomically: the report joins the nearest matching open order (report-orders.ts), or opens one;
   * a report whose id was filed before answers that order (`created: false`) and changes nothing.
   */
  openReport(input: OpenReportInput): Promise<{ order: WorkOrder; created: boolean }>;
  /** The order holding a report filed before (by its id), whatever its state; null for a new id. */
  orderOfReport(reportId: string): Promise<WorkOrder | null>;
  get(id: string): Promise<WorkOrder | null>;
  /**
   * Like `get`, with the stored JSON read by `read` from the order's key (null: none), so a caller's
   * own script can fetch it in the round trip it makes anyway.
   */
  getWith(id: string, read: (key: string) => Promise<string | null>): Promise<WorkOrder | null>;
  /** The open order holding this edge eventId, if any. */
  findByEvent(eventId: string): Promise<WorkOrder | null>;
  /** The order holding this edge eventId, whatever its state. */
  orderOfEvent(eventId: string): Promise<WorkOrder | null>;
  /** Newest discovery first; `total` counts all matches. An order that cannot be read is left out (and logged), not an error. */
  list(filter: OrderFilter, page: { offset: number; limit: number }): Promise<{ items: WorkOrder[]; total: number }>;
  /** Atomic, refuses illegal transitions (IllegalTransitionError) and a stale `expectFrom`. */
  /** `outbox`: the move's side effects, committed with it. */
  transition(id: string, to: OrderState, by: string, opts?: { note?: string; expectFrom?: OrderState; expectTeam?: string; assignee?: string | null; rejection?: WorkOrder['rejection']; outbox?: OutboxFn }): Promise<WorkOrder>;
  /**
   * Atomic: moves an open order to another team and officer (null: none yet), state unchanged, with
   * a trail entry by `by`, and its side effects (`outbox`). OrderClosedError when it is closed;
   * StaleStateError / StaleTeamError when `expectFrom` / `expectTeam` no longer hold.
   */
  reassign(id: string, to: Assignment, by: string, opts?: { note?: string; outbox?: OutboxFn; expectFrom?: OrderState; expectTeam?: string }): Promise<WorkOrder>;
  attachEvidence(id: string, refs: OrderEvidenceRef[]): Promise<WorkOrder>;
  setSla(id: string, level: SlaLevel): Promise<WorkOrder>;
  /** `settle`: a pure follow-up on the order with the end recorded (null: none), decided in the same commit. */
  setEdgeEnded(id: string, ended: NonNullable<WorkOrder['edgeEnded']>, opts?: { outbox?: OutboxFn; settle?: (o: WorkOrder) => WorkOrder | null }): Promise<WorkOrder>;
  /**
   * Atomic: `change` (pure; null: nothing to write) decides on the order read for this very commit,
   * which writes its answer and side effects, retried on conflict; errors from `change` propagate.
   */
  apply(id: string, change: (o: WorkOrder) => WorkOrder | null, opts?: { outbox?: OutboxFn }): Promise<WorkOrder>;
  /** Open orders per officer, for assignment (fewest first). */
  openCountByAssignee(team: string): Promise<Map<string, number>>;
  /** Earlier orders with this plate (repeat offenders). */
  countByPlate(plate: string): Promise<number>;
}

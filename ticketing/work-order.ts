/**
 * The work order: what an enforcement officer acts on. Schema (types derived from it), states and
 * the transition rules — pure, no I/O.
 */
import { z } from 'zod';
import { StreetWatchError } from '../common/errors.js';
import { endReason, evidenceRef, isoTime, normBox, plateRead, violationType } from '../contract/index.js';

export const ORDER_STATES = ['pending_review', 'dispatched', 'accepted', 'on_site', 'resolved', 'rejected', 'self_cleared', 'cancelled'] as const;
export const orderState = z.enum(ORDER_STATES);
export type OrderState = z.output<typeof orderState>;

/** States in which the problem is still on the street and someone must act. */
export const OPEN_STATES: readonly OrderState[] = ['pending_review', 'dispatched', 'accepted', 'on_site'];

/** Allowed moves; everything else is refused with IllegalTransitionError. */
export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  pending_review: ['dispatched', 'rejected', 'self_cleared', 'cancelled'],
  dispatched: ['accepted', 'self_cleared', 'cancelled'],
  accepted: ['on_site', 'self_cleared', 'cancelled'],
  on_site: ['resolved', 'self_cleared', 'cancelled'],
  resolved: [],
  rejected: [],
  self_cleared: [],
  cancelled: [],
};

export const slaLevel = z.enum(['green', 'yellow', 'red']);
export type SlaLevel = z.output<typeof slaLevel>;

export const REJECT_REASONS = ['not_a_violation', 'wrong_class', 'outside_zone', 'duplicate', 'other'] as const;

export const auditEntry = z.object({
  at: isoTime,
  /** User name, `system`, `edge` or `sla`. */
  by: z.string(),
  from: orderState.nullable(),
  to: orderState,
  note: z.string().optional(),
});

export const workOrderSchema = z
  .object({
    id: z.string(),
    type: violationType,
    state: orderState,
    deviceId: z.string(),
    cameraId: z.string(),
    zoneId: z.string(),
    team: z.string(),
    assignee: z.string().nullable(),
    location: z.object({ lat: z.number(), long: z.number(), address: z.string().optional() }).nullable(),
    /** Edge events merged into this order (the first opened it). */
    eventIds: z.array(z.string()).min(1),
    evidence: z.array(evidenceRef),
    bbox: normBox.nullable(),
    label: z.string(),
    confidence: z.number(),
    plate: plateRead.nullable(),
    discoveredAt: isoTime,
    createdAt: isoTime,
    updatedAt: isoTime,
    /** discoveredAt + the SLA target. */
    deadlineAt: isoTime,
    /** When the order entered each state. */
    stateTimes: z.partialRecord(orderState, isoTime),
    sla: slaLevel,
    /** The edge's last word on the problem, if it ended. */
    edgeEnded: z.object({ reason: endReason, at: isoTime }).nullable(),
    rejection: z.object({ reason: z.enum(REJECT_REASONS), note: z.string().optional() }).nullable(),
    audit: z.array(auditEntry),
  })
  .meta({ id: 'WorkOrder' });

export type WorkOrder = z.output<typeof workOrderSchema>;
export type AuditEntry = z.output<typeof auditEntry>;

export class IllegalTransitionError extends StreetWatchError {
  constructor(
    readonly orderId: string,
    readonly from: OrderState,
    readonly to: OrderState,
  ) {
    super('ILLEGAL_TRANSITION', `work order ${orderId} cannot go from ${from} to ${to} (allowed: ${TRANSITIONS[from].join(', ') || 'none, it is closed'})`);
  }
}

export const isOpen = (s: OrderState): boolean => OPEN_STATES.includes(s);

/** Pure: the order after a transition, with its audit entry and state time; throws if not allowed. */
export function applyTransition(order: WorkOrder, to: OrderState, by: string, atIso: string, note?: string): WorkOrder {
  if (!TRANSITIONS[order.state].includes(to)) throw new IllegalTransitionError(order.id, order.state, to);
  return {
    ...order,
    state: to,
    updatedAt: atIso,
    stateTimes: { ...order.stateTimes, [to]: atIso },
    audit: [...order.audit, { at: atIso, by, from: order.state, to, ...(note ? { note } : {}) }],
  };
}

/**
 * The work order's rules: which states are open and which moves are allowed — pure, no I/O. Its
 * shape is the contract's (contract/work-orders.ts), re-exported here for the centre's modules.
 */
import { StreetWatchError } from '../common/errors.js';
import type { OrderEvidenceRef, OrderState, UnableReason, WorkOrder } from '../contract/index.js';

export { ORDER_STATES, orderState, REJECT_REASONS, UNABLE_REASONS, workOrderSchema, type OrderState, type SlaLevel, type UnableReason, type Verification, type WorkOrder } from '../contract/index.js';

/** States in which the problem is still on the street and someone must act. */
export const OPEN_STATES: readonly OrderState[] = ['pending_review', 'dispatched', 'accepted', 'on_site', 'unable'];

/** Allowed moves; everything else is refused with IllegalTransitionError. */
export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  pending_review: ['dispatched', 'rejected', 'self_cleared', 'cancelled'],
  dispatched: ['accepted', 'unable', 'self_cleared', 'cancelled'],
  accepted: ['on_site', 'unable', 'self_cleared', 'cancelled'],
  on_site: ['resolved', 'unable', 'self_cleared', 'cancelled'],
  // Back to the street only through a reassignment (applyReassignment), which dispatches it again.
  unable: ['dispatched', 'self_cleared', 'cancelled'],
  resolved: ['verified', 'dispatched'],
  rejected: [],
  self_cleared: [],
  cancelled: [],
  verified: [],
};

export class IllegalTransitionError extends StreetWatchError {
  constructor(
    readonly orderId: string,
    readonly from: OrderState,
    readonly to: OrderState,
    why = `allowed: ${TRANSITIONS[from].join(', ') || 'none, it is closed'}`,
  ) {
    super('ILLEGAL_TRANSITION', `work order ${orderId} cannot go from ${from} to ${to} (${why})`);
  }
}

export const isOpen = (s: OrderState): boolean => OPEN_STATES.includes(s);

/** Moves only the camera makes (verification.ts): a person neither verifies nor reopens a resolve. */
export function assertPersonMayMove(order: WorkOrder, to: OrderState): void {
  if (to === 'verified' || order.state === 'resolved') throw new IllegalTransitionError(order.id, order.state, to, 'only the camera verifies or reopens a resolved order');
}

export class OrderClosedError extends StreetWatchError {
  constructor(orderId: string, state: OrderState) {
    super('ORDER_CLOSED_CONFLICT', `work order ${orderId} is ${state}: a closed order is not reassigned`);
  }
}

/**
 * Pure: the open order handed to another team and officer, with its trail entry. The state stays,
 * except that an order an officer was unable to handle is dispatched again.
 */
export function applyReassignment(order: WorkOrder, to: { team: string; assignee: string | null }, by: string, atIso: string, note?: string): WorkOrder {
  if (!isOpen(order.state)) throw new OrderClosedError(order.id, order.state);
  const who = (team: string, assignee: string | null) => `${team}/${assignee ?? 'unassigned'}`;
  const what = `reassigned from ${who(order.team, order.assignee)} to ${who(to.team, to.assignee)}`;
  const state: OrderState = order.state === 'unable' ? 'dispatched' : order.state;
  return {
    ...order,
    state,
    team: to.team,
    assignee: to.assignee,
    updatedAt: atIso,
    ...(state !== order.state ? { stateTimes: { ...order.stateTimes, [state]: atIso } } : {}),
    audit: [...order.audit, { at: atIso, by, from: order.state, to: state, note: note ? `${what}: ${note}` : what }],
  };
}

/** Pure: the officer could not handle the order; it waits, open, for the supervisor to reassign it. */
export function applyUnable(order: WorkOrder, reason: UnableReason, by: string, atIso: string, note?: string): WorkOrder {
  const moved = applyTransition(order, 'unable', by, atIso, note ? `${reason}: ${note}` : reason);
  return { ...moved, unable: { reason, ...(note ? { note } : {}), by, at: atIso } };
}

/** Pure: the officer's photo of the scene added to the order, with a trail entry naming who took it (state unchanged). */
export function applyOfficerPhoto(order: WorkOrder, photo: OrderEvidenceRef, by: string, atIso: string): WorkOrder {
  return {
    ...order,
    evidence: [...order.evidence, photo],
    updatedAt: atIso,
    audit: [...order.audit, { at: atIso, by, from: order.state, to: order.state, note: `photo of the scene ${photo.sha256.slice(0, 12)}` }],
  };
}

/** True once an officer added a photo of the scene in the officer app (resolving needs one). */
export const hasOfficerPhoto = (order: WorkOrder): boolean => order.evidence.some((e) => e.kind === 'officer');

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

/** SLA arithmetic: the 40-minute target counts from the edge's discovery — pure, times in epoch ms. */
import type { CenterConfig } from '../center/config.js';
import { isOpen, type OrderState, type SlaLevel, type WorkOrder } from './work-order.js';

export type SlaConfig = CenterConfig['sla'];

/** States that count as the problem handled (cancelled does not: nobody handled it). */
export const HANDLED_STATES: readonly OrderState[] = ['resolved', 'self_cleared', 'rejected', 'verified'];

const targetMs = (sla: SlaConfig): number => sla.targetMinutes * 60_000;

/** discoveredAt + target. */
export function deadline(discoveredAtMs: number, sla: SlaConfig): number {
  return discoveredAtMs + targetMs(sla);
}

/** When the order turns yellow (yellowAt × target) and red (redAt × target). */
export function escalationTimes(discoveredAtMs: number, sla: SlaConfig): { yellowAtMs: number; redAtMs: number } {
  return { yellowAtMs: discoveredAtMs + sla.yellowAt * targetMs(sla), redAtMs: discoveredAtMs + sla.redAt * targetMs(sla) };
}

/**
 * When a closed order left the open states (the time of its closing state), else null. A verified
 * order was handled when the officer resolved it; the camera only confirmed it later.
 */
export function closedAt(order: Pick<WorkOrder, 'state' | 'stateTimes'>): number | null {
  if (isOpen(order.state)) return null;
  const at = order.stateTimes[order.state === 'verified' ? 'resolved' : order.state];
  return at ? Date.parse(at) : null;
}

/**
 * The level at `nowMs`. For a closed order the clock stopped when it closed, so its level is the
 * one it had then (a resolved order does not turn red afterwards).
 */
export function slaLevelAt(order: Pick<WorkOrder, 'discoveredAt' | 'state' | 'stateTimes'> | number | string, nowMs: number, sla: SlaConfig): SlaLevel {
  let discovered: number;
  let at = nowMs;
  if (typeof order === 'object') {
    discovered = Date.parse(order.discoveredAt);
    at = Math.min(nowMs, closedAt(order) ?? nowMs);
  } else {
    discovered = typeof order === 'string' ? Date.parse(order) : order;
  }
  const { yellowAtMs, redAtMs } = escalationTimes(discovered, sla);
  return at >= redAtMs ? 'red' : at >= yellowAtMs ? 'yellow' : 'green';
}

/** Handled (resolved / self-cleared / rejected) at or before its deadlineAt; false otherwise, including open and cancelled. */
export function slaMet(order: Pick<WorkOrder, 'state' | 'stateTimes' | 'deadlineAt'>): boolean {
  if (!HANDLED_STATES.includes(order.state)) return false;
  const at = closedAt(order);
  return at !== null && at <= Date.parse(order.deadlineAt);
}

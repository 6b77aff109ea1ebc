/**
 * Camera-verified closure (issue 16 §2) — pure, times passed in. An officer's resolve of an order a
 * camera found is only their word: the box that found it must see the problem go. It waits
 * `verification.windowSeconds`; the edge's `left` (before or after the resolve) makes it
 * `verified`, any other end (the camera stopped) leaves it resolved but unverified, and still
 * being there when the window ends reopens it for the same team and officer. Each function
 * decides on the order read for the very commit that writes its answer (store `apply`), so a
 * timer and a late `ended` racing each other cannot both act.
 */
import type { CenterConfig } from '../center/config.js';
import { applyTransition, type OrderState, type Verification, type WorkOrder } from './work-order.js';

export type VerificationConfig = CenterConfig['verification'];

/** Where a reopened order goes: back to its officer, who accepts it again. */
export const REOPEN_STATE: OrderState = 'dispatched';
export const REOPEN_NOTE = 'still there after resolve';

/**
 * Orders a camera found wait for it. Orders people reported (Open311, inspectors) close on the
 * officer's word, even when a camera has seen the problem since.
 */
export function awaitsCamera(order: WorkOrder): boolean {
  return order.source === 'camera' && order.deviceId !== null;
}

/** Resolved by an officer and waiting for the box's word. */
export const waitsForCamera = (o: WorkOrder): boolean => o.state === 'resolved' && o.verification?.status === 'waiting';

/** The officer resolved: the resolved order, waiting for the box or settled already by what it said. */
export function resolveOrder(o: WorkOrder, by: string, atIso: string, cfg: VerificationConfig, note?: string): WorkOrder {
  const resolved = applyTransition(o, 'resolved', by, atIso, note);
  if (!awaitsCamera(o)) return resolved;
  const until = new Date(Date.parse(atIso) + cfg.windowSeconds * 1000).toISOString();
  const waiting: WorkOrder = { ...resolved, verification: { status: 'waiting', until } };
  return settleOnEdgeEnd(waiting, atIso) ?? waiting;
}

/**
 * A waiting order and the edge's last word (`edgeEnded`, recorded before or in this commit):
 * `left` → verified; another end → unverified, noted. Null when there is nothing to settle.
 */
export function settleOnEdgeEnd(o: WorkOrder, atIso: string): WorkOrder | null {
  const v = o.verification;
  if (!waitsForCamera(o) || !v || !o.edgeEnded) return null;
  const { reason, at } = o.edgeEnded;
  if (reason === 'left') {
    const note = `the camera saw it leave at ${at}`;
    return { ...applyTransition(o, 'verified', 'edge', atIso, note), verification: settled(v, 'verified', atIso, note) };
  }
  return { ...o, updatedAt: atIso, verification: settled(v, 'unverified', atIso, `the edge stopped watching (${reason}) at ${at}: not verified`) };
}

/**
 * The window of the wait that ended at `until` is over (the timer): still waiting → reopened with
 * the note. Null when that wait was settled already, or is an earlier one than the order's own.
 */
export function reopenIfStillThere(o: WorkOrder, until: string, atIso: string): WorkOrder | null {
  const v = o.verification;
  if (!waitsForCamera(o) || !v || v.until !== until) return null;
  const minutes = Math.round((Date.parse(atIso) - Date.parse(o.stateTimes.resolved ?? atIso)) / 60_000);
  const note = `${REOPEN_NOTE}: the camera still saw it ${minutes} min after the officer resolved it`;
  return { ...applyTransition(o, REOPEN_STATE, 'edge', atIso, note), verification: settled(v, 'reopened', atIso, note) };
}

const settled = (v: Verification, status: Verification['status'], at: string, note: string): Verification => ({ ...v, status, at, note });

/** Times the camera sent a resolved order back (the trail's moves from `resolved` to an open state). */
export const reopenCount = (o: WorkOrder): number => o.audit.filter((a) => a.from === 'resolved' && a.to === REOPEN_STATE).length;

/** Camera-verified closure as the console shows it (the rules are the centre's, ticketing/verification.ts). */
import type { WorkOrder } from './api-types';

/** The camera's check worth a badge: all but `verified`, which the order's state already says. */
export const verificationBadge = (o: Pick<WorkOrder, 'verification'>): NonNullable<WorkOrder['verification']>['status'] | null =>
  o.verification && o.verification.status !== 'verified' ? o.verification.status : null;

/** This very change is the camera reopening a resolved order (the latest trail step): worth telling people. */
export function reopenedNow(o: Pick<WorkOrder, 'state' | 'audit' | 'verification'>): boolean {
  const last = o.audit.at(-1);
  return o.verification?.status === 'reopened' && last?.from === 'resolved' && last.to === o.state;
}

/** What Open311's `status_notes` says of an order — pure. */
import type { WorkOrder } from './work-order.js';

const STATUS_NOTES: Record<WorkOrder['state'], string> = {
  pending_review: 'Awaiting review by an operator.',
  dispatched: 'An enforcement officer has been dispatched.',
  accepted: 'An enforcement officer has accepted the request.',
  on_site: 'An enforcement officer is on site.',
  unable: 'The officer could not handle it; a supervisor is assigning it again.',
  resolved: 'Resolved by an enforcement officer.',
  rejected: 'Closed on review: not a violation.',
  self_cleared: 'The problem cleared before an officer arrived.',
  cancelled: 'Cancelled.',
  verified: 'Resolved by an enforcement officer; the camera saw the problem gone.',
};

/** The state's note; a resolve the camera is still checking, or one that reopened, says so. */
export function statusNotes(order: Pick<WorkOrder, 'state' | 'verification'>): string {
  const v = order.verification?.status;
  if (order.state === 'resolved' && v === 'waiting') return 'Resolved by an enforcement officer; the camera is checking the problem is gone.';
  if (order.state === 'dispatched' && v === 'reopened') return 'Reopened: the camera still saw the problem after it was resolved. An enforcement officer has been dispatched again.';
  return STATUS_NOTES[order.state];
}

import { describe, expect, it } from 'vitest';
import type { WorkOrder } from './api-types';
import { reopenedNow, verificationBadge } from './verification';

const T = '2026-12-05T08:00:00.000Z';
const step = (from: WorkOrder['state'] | null, to: WorkOrder['state']) => ({ at: T, by: 'edge', from, to });
const reopened: NonNullable<WorkOrder['verification']> = { status: 'reopened', until: T, at: T, note: 'still there after resolve' };

describe('camera check in the console', () => {
  it('badges every status but verified (the state badge says that)', () => {
    expect(verificationBadge({})).toBeNull();
    expect(verificationBadge({ verification: { status: 'verified', until: T } })).toBeNull();
    expect(verificationBadge({ verification: { status: 'waiting', until: T } })).toBe('waiting');
    expect(verificationBadge({ verification: reopened })).toBe('reopened');
  });

  it('tells of a reopen only on the change that made it', () => {
    expect(reopenedNow({ state: 'dispatched', verification: reopened, audit: [step('on_site', 'resolved'), step('resolved', 'dispatched')] })).toBe(true);
    // The officer accepted the reopened order since: old news.
    expect(reopenedNow({ state: 'accepted', verification: reopened, audit: [step('resolved', 'dispatched'), step('dispatched', 'accepted')] })).toBe(false);
    expect(reopenedNow({ state: 'dispatched', audit: [step(null, 'dispatched')] })).toBe(false);
  });
});

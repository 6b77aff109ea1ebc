import { describe, expect, it } from 'vitest';
import { statusNotes } from './open311-status.js';

describe('Open311 status notes', () => {
  it('name each state, and what the camera made of a resolve', () => {
    expect(statusNotes({ state: 'pending_review' })).toBe('Awaiting review by an operator.');
    expect(statusNotes({ state: 'resolved' })).toBe('Resolved by an enforcement officer.');
    expect(statusNotes({ state: 'resolved', verification: { status: 'waiting', until: '2026-12-05T08:10:00.000Z' } })).toMatch(/camera is checking/);
    expect(statusNotes({ state: 'verified' })).toBe('Resolved by an enforcement officer; the camera saw the problem gone.');
    expect(statusNotes({ state: 'dispatched', verification: { status: 'reopened', until: '2026-12-05T08:10:00.000Z' } })).toMatch(/^Reopened: the camera still saw the problem/);
    expect(statusNotes({ state: 'dispatched' })).toBe('An enforcement officer has been dispatched.');
  });
});

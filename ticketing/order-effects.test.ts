import { describe, expect, it } from 'vitest';
import { detection, evidenceRef, fakeJpeg } from '../center/ingest/test-fixtures.js';
import { detectionEffects, edgeEndedEffects, reassignEffects, transitionEffects, unableEffects } from './order-effects.js';
import { buildOrder } from './work-order-store.js';
import { applyReassignment, applyTransition, applyUnable, type OrderState, type WorkOrder } from './work-order.js';

const SLA = { targetMinutes: 40, yellowAt: 0.5, redAt: 1 };
const T0 = '2026-12-05T08:00:00.000Z';
const first = detection('pole-1', 'cam-1', { discoveredAt: T0, evidence: [evidenceRef(fakeJpeg())] });

const open = (confirmed: boolean): WorkOrder =>
  buildOrder({ detection: first, team: 't', assignee: 'li', location: null, confirmed, deadlineAt: T0, dedupeIou: 0.5, plateWindowMs: 0, nowIso: T0 }, 'WO1');
const moved = (o: WorkOrder, ...path: OrderState[]): WorkOrder => path.reduce((cur, to) => applyTransition(cur, to, 'x', T0), o);
const notice = (kind: string, extra: Record<string, string> = {}) => ({ do: 'notice', orderId: 'WO1', kind, audience: 'team', team: 't', seq: '1', ...extra });

describe('order effects', () => {
  it('unable to handle: the supervisor is told why, once; the timers keep running', () => {
    const accepted = moved(open(true), 'accepted');
    const unable = applyUnable(accepted, 'unsafe', 'li', T0, 'crowd');
    expect(unableEffects('crowd')(accepted, unable)).toEqual([notice('update', { audience: 'supervisor', seq: 'unable-3', note: 'unable to handle (unsafe): crowd' })]);
    expect(transitionEffects('crowd')(accepted, unable)).toEqual([]);
    expect(unableEffects()(unable, unable)).toEqual([]);
    // Reassigned, it is dispatched again and the team told afresh.
    const back = applyReassignment(unable, { team: 't', assignee: 'wang' }, 'sup', T0);
    expect(back).toMatchObject({ state: 'dispatched', assignee: 'wang' });
    expect(reassignEffects()(unable, back)).toEqual([notice('order', { seq: 'reassigned-4' })]);
  });

  it('a new order starts its timers from discovery; a dispatched one is also told to the team', () => {
    const timers = { do: 'sla', orderId: 'WO1', yellowAtMs: Date.parse(T0) + 20 * 60_000, redAtMs: Date.parse(T0) + 40 * 60_000 };
    expect(detectionEffects(first, SLA)(null, open(true))).toEqual([timers, notice('order')]);
    expect(detectionEffects(first, SLA)(null, open(false))).toEqual([timers]);
  });

  it('a merge with photos is an update named after its message, unless it is the opening message again or nobody was told', () => {
    const o = open(true);
    const upd = { ...first, state: 'updated' as const, seq: 2 };
    expect(detectionEffects(upd, SLA)(o, o)).toEqual([notice('update', { seq: `${first.eventId}-2` })]);
    expect(detectionEffects(first, SLA)(o, o)).toEqual([]);
    expect(detectionEffects({ ...upd, evidence: [] }, SLA)(o, o)).toEqual([]);
    expect(detectionEffects(upd, SLA)(open(false), open(false))).toEqual([]);
  });

  it('moves: confirm tells the team, closing drops the timers, and a stand-down goes only to officers who were told', () => {
    const pending = open(false);
    expect(transitionEffects('ok')(pending, moved(pending, 'dispatched'))).toEqual([notice('order')]);
    expect(transitionEffects()(pending, moved(pending, 'rejected'))).toEqual([{ do: 'sla-cancel', orderId: 'WO1' }]);
    expect(transitionEffects('gone')(pending, moved(pending, 'self_cleared'))).toEqual([{ do: 'sla-cancel', orderId: 'WO1' }]);
    const dispatched = open(true);
    expect(transitionEffects('gone')(dispatched, moved(dispatched, 'self_cleared'))).toEqual([{ do: 'sla-cancel', orderId: 'WO1' }, notice('stand_down', { note: 'gone' })]);
    expect(transitionEffects()(dispatched, moved(dispatched, 'accepted'))).toEqual([]);
    const onSite = moved(dispatched, 'accepted', 'on_site');
    expect(transitionEffects()(onSite, moved(onSite, 'resolved'))).toEqual([{ do: 'sla-cancel', orderId: 'WO1' }]);
  });

  it('the edge ending is news only while the order stays open with officers on it', () => {
    const ended = (reason: 'left' | 'camera_lost') => ({ ...first, state: 'ended' as const, seq: 3, reason });
    const dispatched = open(true);
    const onSite = moved(dispatched, 'accepted', 'on_site');
    expect(edgeEndedEffects(ended('left'))(dispatched, dispatched)).toEqual([]); // the self-clearing move tells them
    expect(edgeEndedEffects(ended('left'))(onSite, onSite)).toEqual([notice('update', { seq: `${first.eventId}-3`, note: 'the edge saw it leave while the officer is on site' })]);
    expect(edgeEndedEffects(ended('camera_lost'))(dispatched, dispatched)[0]).toMatchObject({ kind: 'update', note: expect.stringContaining('camera_lost') });
    expect(edgeEndedEffects(ended('camera_lost'))(open(false), open(false))).toEqual([]);
  });

  it('a reassignment tells the new team, and stands down the team it was taken from if its officers knew', () => {
    const dispatched = open(true);
    const toSouth = applyReassignment(dispatched, { team: 'south', assignee: 'wang' }, 'sup', T0);
    const seq = `reassigned-${toSouth.audit.length}`;
    expect(reassignEffects()(dispatched, toSouth)).toEqual([
      notice('stand_down', { seq, note: 'reassigned to south' }),
      notice('order', { seq, team: 'south' }),
    ]);
    // Another officer of the same team: only the order, again.
    const sameTeam = applyReassignment(dispatched, { team: 't', assignee: 'zhao' }, 'sup', T0);
    expect(reassignEffects()(dispatched, sameTeam)).toEqual([notice('order', { seq })]);
    // Still waiting for review: no officer knew, nobody is told.
    const pending = open(false);
    expect(reassignEffects()(pending, applyReassignment(pending, { team: 'south', assignee: null }, 'sup', T0))).toEqual([]);
  });
});

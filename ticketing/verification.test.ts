import { describe, expect, it } from 'vitest';
import { detection } from '../center/ingest/test-fixtures.js';
import { verificationEffects } from './order-effects.js';
import { awaitsCamera, reopenCount, reopenIfStillThere, resolveOrder, settleOnEdgeEnd } from './verification.js';
import { buildOrder } from './work-order-store.js';
import { applyTransition, IllegalTransitionError, type WorkOrder } from './work-order.js';

const T0 = '2026-12-05T08:00:00.000Z';
const RESOLVE = '2026-12-05T08:20:00.000Z';
const UNTIL = '2026-12-05T08:30:00.000Z';
const LATER = '2026-12-05T08:31:00.000Z';
const CFG = { windowSeconds: 600 };
const SLA = { targetMinutes: 40, yellowAt: 0.5, redAt: 1 };

const onSite = (over: Partial<WorkOrder> = {}): WorkOrder => {
  const o = buildOrder({ detection: detection('pole-1', 'cam-1', { discoveredAt: T0 }), team: 'north', assignee: 'li', location: null, confirmed: true, deadlineAt: T0, dedupeIou: 0.5, plateWindowMs: 0, nowIso: T0 }, 'WO1');
  return { ...['accepted', 'on_site'].reduce((cur, to) => applyTransition(cur, to as 'accepted', 'li', T0), o), ...over };
};
const ended = (reason: 'left' | 'camera_lost', at = RESOLVE) => ({ edgeEnded: { reason, at } });

describe('resolving a camera order', () => {
  it('with no word from the box yet: resolved, waiting until resolve + window', () => {
    const r = resolveOrder(onSite(), 'li', RESOLVE, CFG, 'towed');
    expect(r.state).toBe('resolved');
    expect(r.verification).toEqual({ status: 'waiting', until: UNTIL });
    expect(r.audit.at(-1)).toMatchObject({ by: 'li', from: 'on_site', to: 'resolved', note: 'towed' });
  });

  it('after the box saw it leave (while the officer was on site): verified in the same step, both moves in the trail', () => {
    const r = resolveOrder(onSite(ended('left', '2026-12-05T08:15:00.000Z')), 'li', RESOLVE, CFG);
    expect(r.state).toBe('verified');
    expect(r.audit.slice(-2).map((a) => [a.by, a.from, a.to])).toEqual([['li', 'on_site', 'resolved'], ['edge', 'resolved', 'verified']]);
    expect(r.stateTimes).toMatchObject({ resolved: RESOLVE, verified: RESOLVE });
    expect(r.verification).toMatchObject({ status: 'verified', until: UNTIL, at: RESOLVE });
    expect(r.verification!.note).toContain('08:15:00');
  });

  it('after the box stopped watching for another reason: resolved, unverified, with why', () => {
    const r = resolveOrder(onSite(ended('camera_lost')), 'li', RESOLVE, CFG);
    expect(r.state).toBe('resolved');
    expect(r.verification).toMatchObject({ status: 'unverified', at: RESOLVE });
    expect(r.verification!.note).toMatch(/camera_lost.*not verified/);
  });

  it('of an order no camera watches (a report from people): plainly resolved', () => {
    const report = { ...onSite(), source: 'open311' } as WorkOrder;
    expect(awaitsCamera(report)).toBe(false);
    expect(awaitsCamera(onSite())).toBe(true);
    const r = resolveOrder(report, 'li', RESOLVE, CFG);
    expect(r.state).toBe('resolved');
    expect(r.verification).toBeUndefined();
  });

  it('only from on_site', () => {
    const dispatched = buildOrder({ detection: detection('pole-1', 'cam-1'), team: 'north', assignee: 'li', location: null, confirmed: true, deadlineAt: T0, dedupeIou: 0.5, plateWindowMs: 0, nowIso: T0 }, 'WO2');
    expect(() => resolveOrder(dispatched, 'li', RESOLVE, CFG)).toThrow(IllegalTransitionError);
  });
});

describe('the box\'s word on a waiting order', () => {
  const waiting = resolveOrder(onSite(), 'li', RESOLVE, CFG);

  it('`left` verifies it; another end leaves it resolved, unverified', () => {
    const v = settleOnEdgeEnd({ ...waiting, ...ended('left', '2026-12-05T08:25:00.000Z') }, '2026-12-05T08:25:01.000Z')!;
    expect(v.state).toBe('verified');
    expect(v.audit.at(-1)).toMatchObject({ by: 'edge', from: 'resolved', to: 'verified' });
    const u = settleOnEdgeEnd({ ...waiting, ...ended('camera_lost', '2026-12-05T08:25:00.000Z') }, '2026-12-05T08:25:01.000Z')!;
    expect(u.state).toBe('resolved');
    expect(u.verification!.status).toBe('unverified');
  });

  it('nothing to settle without an end, or once settled', () => {
    expect(settleOnEdgeEnd(waiting, LATER)).toBeNull();
    const v = settleOnEdgeEnd({ ...waiting, ...ended('left') }, LATER)!;
    expect(settleOnEdgeEnd(v, LATER)).toBeNull();
    expect(settleOnEdgeEnd({ ...onSite(), ...ended('left') }, LATER)).toBeNull();
  });
});

describe('the window ends', () => {
  const waiting = resolveOrder(onSite(), 'li', RESOLVE, CFG);

  it('still waiting: reopened to dispatched, same team and officer, with the note', () => {
    const r = reopenIfStillThere(waiting, UNTIL, LATER)!;
    expect(r).toMatchObject({ state: 'dispatched', team: 'north', assignee: 'li' });
    expect(r.audit.at(-1)).toMatchObject({ by: 'edge', from: 'resolved', to: 'dispatched' });
    expect(r.audit.at(-1)!.note).toBe('still there after resolve: the camera still saw it 11 min after the officer resolved it');
    expect(r.verification).toMatchObject({ status: 'reopened', until: UNTIL, at: LATER });
    expect(reopenCount(r)).toBe(1);
    expect(reopenCount(waiting)).toBe(0);
  });

  it('settled already, or the timer of an earlier wait: nothing', () => {
    expect(reopenIfStillThere(settleOnEdgeEnd({ ...waiting, ...ended('left') }, LATER)!, UNTIL, LATER)).toBeNull();
    expect(reopenIfStillThere(settleOnEdgeEnd({ ...waiting, ...ended('camera_lost') }, LATER)!, UNTIL, LATER)).toBeNull();
    expect(reopenIfStillThere(waiting, '2026-12-05T07:00:00.000Z', LATER)).toBeNull();
  });
});

describe('verification effects', () => {
  const effects = verificationEffects(SLA);
  const before = onSite();
  const waiting = resolveOrder(before, 'li', RESOLVE, CFG);

  it('a waiting resolve starts its timer, named after the step', () => {
    expect(effects(before, waiting)).toEqual([{ do: 'verify', orderId: 'WO1', until: UNTIL, seq: String(waiting.audit.length) }]);
  });

  it('a reopen restarts the SLA timers and tells the team and the supervisor why', () => {
    const reopened = reopenIfStillThere(waiting, UNTIL, LATER)!;
    const seq = String(reopened.audit.length);
    const note = reopened.verification!.note;
    expect(effects(waiting, reopened)).toEqual([
      { do: 'sla', orderId: 'WO1', yellowAtMs: Date.parse(T0) + 20 * 60_000, redAtMs: Date.parse(T0) + 40 * 60_000 },
      { do: 'notice', orderId: 'WO1', kind: 'reopened', audience: 'team', team: reopened.team, seq, note },
      { do: 'notice', orderId: 'WO1', kind: 'reopened', audience: 'supervisor', team: reopened.team, seq, note },
    ]);
  });

  it('verified, unverified or a plain resolve cause nothing more', () => {
    expect(effects(before, resolveOrder({ ...before, ...ended('left') }, 'li', RESOLVE, CFG))).toEqual([]);
    expect(effects(waiting, settleOnEdgeEnd({ ...waiting, ...ended('camera_lost') }, LATER)!)).toEqual([]);
    expect(effects(before, resolveOrder({ ...before, source: 'open311' } as WorkOrder, 'li', RESOLVE, CFG))).toEqual([]);
  });
});

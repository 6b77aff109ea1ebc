/**
 * What each workflow change of an order must cause — SLA timers and team notices — as outbox
 * effects (outbox.ts) committed with the change. Pure: decided on the order the commit replaces
 * and the one it writes, so a retried commit decides again on what it actually changes.
 */
import type { DetectionMessage, DispatchKind } from '../contract/index.js';
import type { OutboxEffect, OutboxFn } from './outbox.js';
import { REOPEN_STATE } from './verification.js';
import { escalationTimes, type SlaConfig } from './sla.js';
import { isOpen, type OrderState, type WorkOrder } from './work-order.js';

/**
 * To the order's team as it is in `o` (a later reassignment does not redirect it). Kinds told once
 * per order get `seq` 1; an `update` is named after what caused it.
 */
const teamNotice = (o: WorkOrder, kind: DispatchKind, note?: string, seq = '1', audience: 'team' | 'supervisor' = 'team'): OutboxEffect => ({
  do: 'notice', orderId: o.id, kind, audience, team: o.team, seq, ...(note ? { note } : {}),
});

/** Officers hear of an order once it left review, as long as it is open. */
const officersKnow = (o: WorkOrder): boolean => isOpen(o.state) && o.state !== 'pending_review';

/** A new order: its SLA timers from its discovery, and the team's notice if it is dispatched at once. */
function openingEffects(next: WorkOrder, sla: SlaConfig): OutboxEffect[] {
  if (!isOpen(next.state)) return [];
  const timers: OutboxEffect = { do: 'sla', orderId: next.id, ...escalationTimes(Date.parse(next.discoveredAt), sla) };
  return next.state === 'dispatched' ? [timers, teamNotice(next, 'order')] : [timers];
}

/** A detection opened the order (timers from the edge's discovery; the notice if dispatched) or merged into it. */
export function detectionEffects(d: DetectionMessage, sla: SlaConfig): OutboxFn {
  return (prev, next) => {
    if (!prev) return openingEffects(next, sla);
    // Later photos (the second timed one) reach the officers as they come; the opening message's
    // own photos went out with the order.
    const openingAgain = next.eventIds[0] === d.eventId && d.seq === 0;
    if (!d.evidence.length || openingAgain || !officersKnow(next)) return [];
    return [teamNotice(next, 'update', undefined, `${d.eventId}-${d.seq}`)];
  };
}

/**
 * The edge said the problem ended. A `left` before the officer is on site closes the order (its
 * own move tells them, see transitionEffects); anything else is only news for the officers.
 */
export function edgeEndedEffects(d: DetectionMessage): OutboxFn {
  return (_prev, next) => {
    if (!officersKnow(next) || (d.reason === 'left' && next.state !== 'on_site')) return [];
    const note = d.reason === 'left' ? 'the edge saw it leave while the officer is on site' : `the edge stopped watching (${d.reason}); the order stays open`;
    return [teamNotice(next, 'update', note, `${d.eventId}-${d.seq}`)];
  };
}

/** A report opened the order (as a detection would) or joined one (its reporter hears of it: reporterNotices). */
export function reportEffects(sla: SlaConfig): OutboxFn {
  return (prev, next) => (prev ? [] : openingEffects(next, sla));
}

/**
 * Every Open311 client that reported into the order is told of each change that matters to it: the
 * order opened, moved, or took in another report or camera event. Written by every commit of the
 * store, so no path that changes an order can forget them. `seq` names the change, so a retried
 * commit or a second drain sends one callback.
 */
export function reporterNotices(prev: WorkOrder | null, next: WorkOrder): OutboxEffect[] {
  const changed = !prev || prev.state !== next.state || prev.reports.length !== next.reports.length || prev.eventIds.length !== next.eventIds.length;
  if (!changed) return [];
  const clients = new Set(next.reports.flatMap((r) => (r.source === 'open311' && r.clientId ? [r.clientId] : [])));
  const change = `${next.audit.length}.${next.reports.length}.${next.eventIds.length}`;
  return [...clients].map((client) => ({ do: 'notice', orderId: next.id, kind: 'update', audience: 'reporter', client, team: next.team, seq: `${client}.${change}` }));
}

const STAND_DOWN: readonly OrderState[] = ['self_cleared', 'cancelled'];

/** A move: confirmed → the order notice; closed → timers dropped, and a stand-down if officers were told. */
export function transitionEffects(note?: string): OutboxFn {
  return (prev, next) => {
    const from = prev?.state ?? null;
    const effects: OutboxEffect[] = [];
    if (from === 'pending_review' && next.state === 'dispatched') effects.push(teamNotice(next, 'order'));
    if (!isOpen(next.state) && from !== null && isOpen(from)) {
      effects.push({ do: 'sla-cancel', orderId: next.id });
      if (STAND_DOWN.includes(next.state) && from !== 'pending_review') effects.push(teamNotice(next, 'stand_down', note));
    }
    return effects;
  };
}

/** The officer could not handle it: its supervisor is told why, to hand it to someone else. */
export function unableEffects(note?: string): OutboxFn {
  return (prev, next) => {
    if (next.state !== 'unable' || prev?.state === 'unable' || !next.unable) return [];
    const why = `unable to handle (${next.unable.reason})${note ? `: ${note}` : ''}`;
    return [teamNotice(next, 'update', why, `unable-${next.audit.length}`, 'supervisor')];
  };
}

/**
 * A new team or officer: told of the order afresh (once per reassignment), if officers know of it;
 * the team it was taken from, if its officers knew, is told to stand down.
 */
export function reassignEffects(): OutboxFn {
  return (prev, next) => {
    const seq = `reassigned-${next.audit.length}`;
    const effects: OutboxEffect[] = [];
    if (prev && prev.team !== next.team && officersKnow(prev)) effects.push(teamNotice(prev, 'stand_down', `reassigned to ${next.team}`, seq));
    if (officersKnow(next)) effects.push(teamNotice(next, 'order', undefined, seq));
    return effects;
  };
}

/**
 * Camera verification: a resolve that waits for the box → its timer (at the window's end); a
 * reopen → the SLA timers again (a deadline already past fires at once) and the team and its
 * supervisor told why. A verified or unverified resolve causes nothing more.
 */
export function verificationEffects(sla: SlaConfig): OutboxFn {
  return (prev, next) => {
    const v = next.verification;
    if (next.state === 'resolved' && v?.status === 'waiting' && prev?.state !== 'resolved') {
      return [{ do: 'verify', orderId: next.id, until: v.until, seq: String(next.audit.length) }];
    }
    if (prev?.state === 'resolved' && next.state === REOPEN_STATE) {
      const seq = String(next.audit.length);
      return [
        { do: 'sla', orderId: next.id, ...escalationTimes(Date.parse(next.discoveredAt), sla) },
        teamNotice(next, 'reopened', v?.note, seq),
        teamNotice(next, 'reopened', v?.note, seq, 'supervisor'),
      ];
    }
    return [];
  };
}

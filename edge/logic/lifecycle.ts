/**
 * Turns per-frame violation candidates into started / updated / ended events, one eventId per
 * violation (candidate key). Pure: time is passed in.
 */
import { monotonicFactory } from 'ulid';
import type { EndReason, LifecycleEvent, ViolationCandidate, ZoneTiming } from './violation.js';

export interface ViolationLifecycleOptions {
  /** Id of a new violation discovered at tsMs (default: a monotonic ULID with that time). */
  newEventId?: (tsMs: number) => string;
}

interface Open {
  eventId: string;
  candidate: ViolationCandidate;
  firstSeenAtMs: number;
  discoveredAtMs: number;
  lastCandidateMs: number;
  lastMessageMs: number;
  evidenceRepeated: boolean;
}

export class ViolationLifecycle {
  private readonly open = new Map<string, Open>();
  private readonly newEventId: (tsMs: number) => string;

  constructor(opts: ViolationLifecycleOptions = {}) {
    this.newEventId = opts.newEventId ?? monotonicFactory();
  }

  /** Violations currently open (keys). */
  openKeys(): string[] {
    return [...this.open.keys()];
  }

  /**
   * No evaluation at tsMs (the camera's rules are paused): open violations are taken as still
   * there, so the leave grace counts from the end of the pause, not from before it.
   */
  hold(tsMs: number): void {
    for (const o of this.open.values()) o.lastCandidateMs = tsMs;
  }

  /**
   * One evaluation at tsMs with all current candidates (of every zone this lifecycle owns).
   * Emits ended (keys gone) first, then started (new keys) / updated (at most every updateSeconds,
   * or forced by the one evidence repeat evidenceRepeatSeconds after started).
   */
  step(tsMs: number, candidates: readonly ViolationCandidate[], zoneSettings: (zoneId: string) => ZoneTiming): LifecycleEvent[] {
    const current = new Map<string, ViolationCandidate>();
    for (const c of candidates) if (!current.has(c.key)) current.set(c.key, c);

    const events: LifecycleEvent[] = [];
    for (const [key, o] of this.open) {
      if (current.has(key)) continue;
      // A brief dip (occlusion, a low-scoring frame) is not the vehicle leaving.
      if (tsMs - o.lastCandidateMs < (zoneSettings(o.candidate.zoneId).leaveGraceSeconds ?? 0) * 1000) continue;
      events.push(this.ended(o, tsMs, 'left'));
      this.open.delete(key);
    }
    for (const [key, c] of current) {
      const o = this.open.get(key);
      if (!o) {
        const opened: Open = {
          eventId: this.newEventId(tsMs),
          candidate: c,
          firstSeenAtMs: c.firstSeenMs,
          discoveredAtMs: tsMs,
          lastCandidateMs: tsMs,
          lastMessageMs: tsMs,
          evidenceRepeated: false,
        };
        this.open.set(key, opened);
        events.push(message(opened, 'started', true));
        continue;
      }
      o.candidate = c;
      o.firstSeenAtMs = Math.min(o.firstSeenAtMs, c.firstSeenMs);
      o.lastCandidateMs = tsMs;
      const timing = zoneSettings(c.zoneId);
      const evidenceDue = !o.evidenceRepeated && tsMs - o.discoveredAtMs >= timing.evidenceRepeatSeconds * 1000;
      const updateDue = tsMs - o.lastMessageMs >= timing.updateSeconds * 1000;
      if (!evidenceDue && !updateDue) continue;
      o.lastMessageMs = tsMs;
      if (evidenceDue) o.evidenceRepeated = true;
      events.push(message(o, 'updated', evidenceDue));
    }
    return events;
  }

  /** Ends every open violation (stream over or camera lost); stayedSeconds runs to the last time each was a candidate. */
  endAll(tsMs: number, reason: Exclude<EndReason, 'left'>): LifecycleEvent[] {
    const events = [...this.open.values()].map((o) => this.ended(o, tsMs, reason));
    this.open.clear();
    return events;
  }

  private ended(o: Open, tsMs: number, reason: EndReason): LifecycleEvent {
    return {
      ...message(o, 'ended', false),
      endedAtMs: tsMs,
      reason,
      stayedSeconds: Math.max(0, o.lastCandidateMs - o.firstSeenAtMs) / 1000,
    };
  }
}

function message(o: Open, state: LifecycleEvent['state'], captureEvidence: boolean): LifecycleEvent {
  return {
    state,
    eventId: o.eventId,
    candidate: o.candidate,
    firstSeenAtMs: o.firstSeenAtMs,
    discoveredAtMs: o.discoveredAtMs,
    captureEvidence,
  };
}

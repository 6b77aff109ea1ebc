/**
 * The SLA light of an open order, counted down live in the browser — pure. Same thresholds as the
 * centre's timers (ticketing/sla.ts): yellow at yellowAt × target after discovery, red at redAt ×
 * target; the deadline is discovery + target.
 */
import type { Settings, SlaLevel } from './api-types';

export type SlaSettings = Settings['sla'];

export function slaLight(discoveredAtMs: number, nowMs: number, sla: SlaSettings): SlaLevel {
  const elapsed = nowMs - discoveredAtMs;
  const target = sla.targetMinutes * 60_000;
  if (elapsed >= sla.redAt * target) return 'red';
  if (elapsed >= sla.yellowAt * target) return 'yellow';
  return 'green';
}

/** Milliseconds until the deadline; negative once it has passed. */
export const timeLeftMs = (deadlineAtMs: number, nowMs: number): number => deadlineAtMs - nowMs;

const RANK: Record<SlaLevel, number> = { green: 0, yellow: 1, red: 2 };

/** The most urgent of several lights (a camera on the plan shows its worst order). */
export function worstLight(levels: Iterable<SlaLevel>): SlaLevel | null {
  let worst: SlaLevel | null = null;
  for (const l of levels) if (worst === null || RANK[l] > RANK[worst]) worst = l;
  return worst;
}

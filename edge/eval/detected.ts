/** What a replay published, as the violations `score.ts` compares with the labels. */
import { detectionMessage } from '../../contract/index.js';
import type { OutMessage } from '../adapters/outbox.js';
import type { DetectedViolation } from './score.js';

/**
 * One violation per `started` message, its times in seconds after `startMs` (the wall time the
 * replay mapped the clip's first frame to); `endedAt` from the event's `ended` message, if any.
 */
export function detectedViolations(messages: readonly OutMessage[], startMs: number): DetectedViolation[] {
  const byEvent = new Map<string, DetectedViolation>();
  const seconds = (iso: string) => (Date.parse(iso) - startMs) / 1000;
  for (const m of messages) {
    if (m.kind !== 'detection') continue;
    const d = detectionMessage.parse(JSON.parse(m.payload.toString('utf8')));
    if (d.state === 'started') {
      byEvent.set(d.eventId, {
        type: d.type,
        zone: d.zoneId,
        discoveredAt: seconds(d.discoveredAt),
        box: d.bbox ? [d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2] : undefined,
      });
    } else if (d.state === 'ended' && d.endedAt) {
      const v = byEvent.get(d.eventId);
      if (v) v.endedAt = seconds(d.endedAt);
    }
  }
  return [...byEvent.values()];
}

/** no_parking zones: vehicles standing still in the zone for the dwell. */
import type { NoParkingZone } from '../config.js';
import type { Track, ViolationCandidate } from '../violation.js';
import { boxInZone, isScheduleActive } from '../zones.js';
import { corroborate, occupiedZoneBays } from './sensors.js';
import { trackHasClass, type RuleContext } from './shared.js';

/**
 * Dwell counts from the track's stationarySinceMs. That is also when it entered the zone: getting
 * into the zone takes movement, and movement re-anchors the stationary clock. The schedule only
 * gates (a car parked before the window opens is a candidate as soon as it opens).
 * minConfidence is checked on the camera score before any sensor corroboration.
 */
export function parkingCandidates(zone: NoParkingZone, tracks: readonly Track[], ctx: RuleContext): ViolationCandidate[] {
  if (!isScheduleActive(zone.schedule, ctx.tsMs, ctx.timeZone)) return [];
  const bays = occupiedZoneBays(zone, ctx);
  const out: ViolationCandidate[] = [];
  for (const t of tracks) {
    if (!t.confirmed || !t.stationary || t.stationarySinceMs === null) continue;
    if (!trackHasClass(t, zone.vehicleClasses) || t.score < zone.minConfidence) continue;
    if (!boxInZone(t.box, zone.polygon, ctx.frame)) continue;
    if (ctx.tsMs - t.stationarySinceMs < zone.dwellSeconds * 1000) continue;
    out.push({
      key: `${zone.id}/${t.id}`,
      zoneId: zone.id,
      type: 'illegal_parking',
      label: t.label,
      confidence: bays.length > 0 ? corroborate(t.score) : t.score,
      box: t.box,
      subjectTrackIds: [t.id],
      ...(bays.length > 0 ? { sensorBayIds: bays } : {}),
      dwellStartMs: t.stationarySinceMs,
      firstSeenMs: t.firstSeenMs,
    });
  }
  return out;
}

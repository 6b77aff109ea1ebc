/** no_parking zones: vehicles standing still in the zone for the dwell. */
import type { NoParkingZone } from '../../config.js';
import type { Track, ViolationCandidate } from '../violation.js';
import { boxInZone, isScheduleActive } from '../zones.js';
import { corroborate, occupiedZoneBays } from './sensors.js';
import { trackHasClass, type RuleContext } from './shared.js';

/**
 * Vehicles standing still in the zone while its schedule is active, dwell not yet counted: each
 * becomes a candidate once its dwell is met, and its plate is read from now on.
 * minConfidence is checked on the camera score before any sensor corroboration.
 */
export function vehiclesStandingInZone(zone: NoParkingZone, tracks: readonly Track[], ctx: RuleContext): Track[] {
  if (!isScheduleActive(zone.schedule, ctx.tsMs, ctx.timeZone)) return [];
  return tracks.filter(
    (t) =>
      t.confirmed &&
      t.stationary &&
      t.stationarySinceMs !== null &&
      trackHasClass(t, zone.vehicleClasses) &&
      t.score >= zone.minConfidence &&
      boxInZone(t.box, zone.polygon, ctx.frame),
  );
}

/**
 * Dwell counts from the track's stationarySinceMs. That is also when it entered the zone: getting
 * into the zone takes movement, and movement re-anchors the stationary clock. The schedule only
 * gates (a car parked before the window opens is a candidate as soon as it opens).
 */
export function parkingCandidates(zone: NoParkingZone, tracks: readonly Track[], ctx: RuleContext): ViolationCandidate[] {
  const standing = vehiclesStandingInZone(zone, tracks, ctx);
  if (standing.length === 0) return [];
  const bays = occupiedZoneBays(zone, ctx);
  const out: ViolationCandidate[] = [];
  for (const t of standing) {
    const stillSinceMs = t.stationarySinceMs as number;
    if (ctx.tsMs - stillSinceMs < zone.dwellSeconds * 1000) continue;
    out.push({
      key: `${zone.id}/${t.id}`,
      zoneId: zone.id,
      type: 'illegal_parking',
      label: t.label,
      confidence: bays.length > 0 ? corroborate(t.score) : t.score,
      box: t.box,
      subjectTrackIds: [t.id],
      ...(bays.length > 0 ? { sensorBayIds: bays } : {}),
      dwellStartMs: stillSinceMs,
      firstSeenMs: t.firstSeenMs,
    });
  }
  return out;
}

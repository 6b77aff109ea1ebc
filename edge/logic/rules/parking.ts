/**
 * no_parking zones: vehicles standing still in the zone past the dwell and the loading grace
 * (`illegal_parking`), or, in a time-limited zone, past the allowed stay (`overstay`).
 */
import type { NoParkingZone } from '../../config.js';
import type { Track, ViolationCandidate, ViolationType } from '../violation.js';
import { boxInZone, isScheduleActive } from '../zones.js';
import { corroborate, occupiedZoneBays } from './sensors.js';
import { trackHasClass, type RuleContext } from './shared.js';

/**
 * Vehicles standing still in the zone (not waiting in a queue) while its schedule is active, the
 * dwell not yet counted: each becomes a candidate once the zone's limit (parkingLimit) is met, and
 * its plate is read from now on.
 * minConfidence is checked on the camera score before any sensor corroboration.
 */
export function vehiclesStandingInZone(zone: NoParkingZone, tracks: readonly Track[], ctx: RuleContext): Track[] {
  if (!isScheduleActive(zone.schedule, ctx.tsMs, ctx.timeZone)) return [];
  return tracks.filter(
    (t) =>
      t.confirmed &&
      t.stationary &&
      t.stationarySinceMs !== null &&
      !ctx.queuedTrackIds?.has(t.id) &&
      trackHasClass(t, zone.vehicleClasses) &&
      t.score >= zone.minConfidence &&
      boxInZone(t.box, zone.polygon, ctx.frame),
  );
}

/** The types a parked vehicle gives: the vehicle's plate is read and kept sharp in the evidence. */
export const PARKING_TYPES: readonly ViolationType[] = ['illegal_parking', 'overstay'];

/**
 * What a stop in the zone becomes, and after how long. A time-limited zone allows parking up to
 * maxStaySeconds (dwell and grace are within that allowance); otherwise a stop is parking once it
 * outlasts both the dwell and the loading/drop-off grace.
 */
function parkingLimit(zone: NoParkingZone): { type: ViolationType; afterMs: number } {
  return zone.maxStaySeconds !== undefined
    ? { type: 'overstay', afterMs: zone.maxStaySeconds * 1000 }
    : { type: 'illegal_parking', afterMs: Math.max(zone.dwellSeconds, zone.graceSeconds) * 1000 };
}

/**
 * Dwell counts from the track's stationarySinceMs. That is also when it entered the zone: getting
 * into the zone takes movement, and movement re-anchors the stationary clock. The schedule only
 * gates (a car parked before the window opens is a candidate as soon as it opens).
 */
export function parkingCandidates(zone: NoParkingZone, tracks: readonly Track[], ctx: RuleContext): ViolationCandidate[] {
  const standing = vehiclesStandingInZone(zone, tracks, ctx);
  if (standing.length === 0) return [];
  const { type, afterMs } = parkingLimit(zone);
  const bays = occupiedZoneBays(zone, ctx, afterMs / 1000);
  const out: ViolationCandidate[] = [];
  for (const t of standing) {
    const stillSinceMs = t.stationarySinceMs as number;
    if (ctx.tsMs - stillSinceMs < afterMs) continue;
    out.push({
      key: `${zone.id}/${t.id}`,
      zoneId: zone.id,
      type,
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

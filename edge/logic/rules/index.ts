/** Zone rules: every zone of a camera evaluated against the current tracks. */
import type { ZoneConfig } from '../../config.js';
import type { Track, ViolationCandidate } from '../violation.js';
import { parkingCandidates } from './parking.js';
import type { RuleContext } from './shared.js';
import { vendingCandidates } from './vending.js';

export { parkingCandidates, vehiclesStandingInZone, PARKING_TYPES } from './parking.js';
export { vendingCandidates, tendingPeople, MAX_TENDING_SPEED, OBJECT_CONFIDENCE } from './vending.js';
export { sensorOnlyCandidates, corroborate, occupiedZoneBays, SENSOR_CONFIDENCE } from './sensors.js';
export { trackHasClass, unionBox, boxGap, MIN_LABEL_SHARE, type RuleContext } from './shared.js';

/** The violation candidates of all zones of one camera at ctx.tsMs (pass the tracker's confirmed tracks). */
export function zoneCandidates(zones: readonly ZoneConfig[], tracks: readonly Track[], ctx: RuleContext): ViolationCandidate[] {
  return zones.flatMap((zone) =>
    zone.kind === 'no_parking' ? parkingCandidates(zone, tracks, ctx) : vendingCandidates(zone, tracks, ctx),
  );
}

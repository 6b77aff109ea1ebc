/** Street bay sensors: corroboration of camera parking candidates and sensor-only candidates. */
import type { NoParkingZone, SensorBay } from '../../config.js';
import type { SensorReadings, ViolationCandidate } from '../violation.js';
import type { RuleContext } from './shared.js';

/** How much an occupied bay alone is believed: the weight of its evidence in both uses below. */
export const SENSOR_CONFIDENCE = 0.5;

/**
 * Independent evidence combined as a noisy-OR: conf = 1 − (1 − c)(1 − 0.5), so a 0.6 camera
 * candidate on an occupied bay becomes 0.8. Applied once however many bays are occupied.
 */
export function corroborate(confidence: number): number {
  return 1 - (1 - confidence) * (1 - SENSOR_CONFIDENCE);
}

/**
 * Bays of this camera's zone reported occupied for at least `seconds`: as long as the vehicle must
 * have stood for its candidate (dwell, grace or max stay), so the sensor vouches for the same stay.
 */
export function occupiedZoneBays(zone: NoParkingZone, ctx: RuleContext, seconds: number): string[] {
  const { sensorBays, sensorState } = ctx;
  if (!sensorBays || !sensorState) return [];
  return sensorBays
    .filter((bay) => bay.zoneId === zone.id && bay.cameraId === ctx.cameraId)
    .filter((bay) => occupiedFor(sensorState, bay.id, ctx.tsMs, seconds))
    .map((bay) => bay.id);
}

/**
 * Bays no camera covers (no cameraId) occupied for their own dwellSeconds. The candidate has
 * label 'sensor', box null (there is no picture), key `${zoneId}/bay:${bayId}`, confidence
 * SENSOR_CONFIDENCE; no schedule applies (the zone belongs to no camera config).
 */
export function sensorOnlyCandidates(bays: readonly SensorBay[], state: SensorReadings, tsMs: number): ViolationCandidate[] {
  return bays
    .filter((bay) => bay.cameraId === undefined && occupiedFor(state, bay.id, tsMs, bay.dwellSeconds))
    .map((bay) => {
      const sinceMs = state.get(bay.id)!.sinceMs;
      return {
        key: `${bay.zoneId}/bay:${bay.id}`,
        zoneId: bay.zoneId,
        type: 'illegal_parking' as const,
        label: 'sensor',
        confidence: SENSOR_CONFIDENCE,
        box: null,
        subjectTrackIds: [],
        sensorBayIds: [bay.id],
        dwellStartMs: sinceMs,
        firstSeenMs: sinceMs,
      };
    });
}

function occupiedFor(state: SensorReadings, bayId: string, tsMs: number, seconds: number): boolean {
  const s = state.get(bayId);
  return !!s && s.occupied && tsMs - s.sinceMs >= seconds * 1000;
}

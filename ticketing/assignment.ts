/** Who handles a detection, where it is and whether it needs an operator first — pure, over config. */
import type { ViolationType } from '../contract/index.js';
import type { CenterConfig, TeamConfig } from '../center/config.js';
import { insidePolygon, type LatLong } from './geo.js';
import type { WorkOrder } from './work-order.js';

const cameraKey = (deviceId: string, cameraId: string): string => `${deviceId}/${cameraId}`;

/** Zone mapping first (a kerb may belong to another district than its camera), then the camera's team, then defaultTeam. */
export function teamFor(config: CenterConfig, deviceId: string, cameraId: string, zoneId: string): string {
  const zone = config.zones.find((z) => z.deviceId === deviceId && z.cameraId === cameraId && z.zoneId === zoneId);
  if (zone) return zone.team;
  const cam = config.cameras.find((c) => c.deviceId === deviceId && c.cameraId === cameraId);
  return cam?.team ?? config.defaultTeam;
}

/** A reported problem's team: the first team with an area around it, else defaultTeam. */
export function teamForLocation(config: Pick<CenterConfig, 'teams' | 'defaultTeam'>, at: LatLong): string {
  const team = config.teams.find((t) => t.areas?.some((a) => insidePolygon(at, a.polygon)));
  return team?.id ?? config.defaultTeam;
}

/**
 * The on-duty officer with the fewest open orders (missing from `openCounts` = 0); ties go to
 * roster order so the choice is stable. Null when nobody is on duty.
 */
export function pickOfficer(team: TeamConfig, openCounts: ReadonlyMap<string, number>): string | null {
  let best: { id: string; n: number } | null = null;
  for (const o of team.officers) {
    if (!o.onDuty) continue;
    const n = openCounts.get(o.id) ?? 0;
    if (!best || n < best.n) best = { id: o.id, n };
  }
  return best?.id ?? null;
}

/**
 * Confidence at or above which a detection skips review: the camera's override for the type,
 * else the type default. Null when neither is configured — such detections always wait for review.
 */
export function autoConfirmThreshold(config: CenterConfig, type: ViolationType, deviceId: string, cameraId: string): number | null {
  const cam = config.confirmation.cameras[cameraKey(deviceId, cameraId)]?.[type];
  return cam ?? config.confirmation.autoConfirm[type] ?? null;
}

export function isAutoConfirmed(config: CenterConfig, type: ViolationType, deviceId: string, cameraId: string, confidence: number): boolean {
  const t = autoConfirmThreshold(config, type, deviceId, cameraId);
  return t !== null && confidence >= t;
}

/** The camera's configured location (what the officer drives to); null for an unlisted camera. */
export function locationFor(config: CenterConfig, deviceId: string, cameraId: string): WorkOrder['location'] {
  const cam = config.cameras.find((c) => c.deviceId === deviceId && c.cameraId === cameraId);
  if (!cam) return null;
  const { lat, long, address } = cam.location;
  return address === undefined ? { lat, long } : { lat, long, address };
}

/**
 * Whether a box is online — pure. Its retained status says so, but a box whose network died may
 * not have managed a Last Will yet: one not heard of for STALE_MS counts as offline too.
 */
import type { Device } from './api-types';

/** Three default telemetry periods (30 s): one late message is no alarm, three are. */
export const STALE_MS = 90_000;

export type Health = 'online' | 'offline' | 'revoked';

export function deviceHealth(d: Pick<Device, 'revokedAt' | 'lastSeenAt' | 'status'>, nowMs: number): Health {
  if (d.revokedAt) return 'revoked';
  if (!d.status || d.status.state === 'offline') return 'offline';
  if (!d.lastSeenAt || nowMs - Date.parse(d.lastSeenAt) > STALE_MS) return 'offline';
  return 'online';
}

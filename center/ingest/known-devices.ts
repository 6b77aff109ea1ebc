/**
 * The ingest's question "is this a registered device that is not revoked?", answered from the
 * device registry with a short cache: one Redis read per device per TTL rather than per message.
 * A revoke, from whichever process, is heard at once (DeviceRegistry.watchRevocations) and drops
 * the cached answer, so a revoked device's next message is refused; the TTL bounds how long a
 * revoke announced while the watch was down goes unheard.
 */
import type { DeviceRegistry } from '../../broker/device-registry.js';
import type { Logger } from '../../common/logger.js';

export const KNOWN_DEVICE_TTL_MS = 5000;

export interface KnownDevices {
  /** False for an unknown or revoked device. */
  known(deviceId: string): Promise<boolean>;
  /** Stops watching revocations. */
  close(): Promise<void>;
}

export async function watchKnownDevices(
  registry: Pick<DeviceRegistry, 'get' | 'watchRevocations'>,
  logger: Logger,
  ttlMs = KNOWN_DEVICE_TTL_MS,
): Promise<KnownDevices> {
  const cache = new Map<string, { known: boolean; until: number }>();
  // Bumped by every revoke: a look-up that was under way when one came in must not cache its answer.
  let revocations = 0;
  const close = await registry.watchRevocations(
    (deviceId) => {
      revocations++;
      cache.delete(deviceId);
    },
    (err) => logger.warn({ err: err.message }, 'known devices: revocation watch: redis error'),
  );

  async function known(deviceId: string): Promise<boolean> {
    const hit = cache.get(deviceId);
    if (hit && hit.until > Date.now()) return hit.known;
    const seen = revocations;
    const d = await registry.get(deviceId);
    const answer = !!d && !d.revokedAt;
    if (seen === revocations) cache.set(deviceId, { known: answer, until: Date.now() + ttlMs });
    return answer;
  }

  return { known, close };
}

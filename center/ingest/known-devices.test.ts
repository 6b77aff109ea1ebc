/**
 * The ingest's known-device cache against real Redis: a revoke from another registry instance (as
 * `streetwatch device revoke` makes, in another process) ends the cached "known" at once, long
 * before the cache's TTL.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../broker/device-registry.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../../broker/test-support.js';
import { waitFor } from '../../test/helpers/wait.js';
import { watchKnownDevices, type KnownDevices } from './known-devices.js';

const HOUR_MS = 3600_000;

describe('known devices', () => {
  const prefix = testPrefix();
  const redis = new Redis(REDIS_URL);
  const cli = new Redis(REDIS_URL);
  const registry = new DeviceRegistry(redis, prefix);
  const elsewhere = new DeviceRegistry(cli, prefix);
  let devices: KnownDevices;

  beforeAll(async () => {
    devices = await watchKnownDevices(registry, pino({ level: 'silent' }), HOUR_MS);
  });
  afterAll(async () => {
    await devices.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
    cli.disconnect();
  });

  it('knows a registered device and not an unknown one', async () => {
    await registry.add('pole-k1');
    expect(await devices.known('pole-k1')).toBe(true);
    expect(await devices.known('ghost')).toBe(false);
  });

  it('answers from its cache within the TTL', async () => {
    await registry.add('pole-k2');
    expect(await devices.known('pole-k2')).toBe(true);
    // Gone from Redis behind the registry's back: no revoke announced, so the cached answer stands.
    await redis.del(`${prefix}:device:pole-k2`);
    expect(await devices.known('pole-k2')).toBe(true);
  });

  it('forgets a device revoked elsewhere at once, though its answer was cached for an hour', async () => {
    await registry.add('pole-k3');
    expect(await devices.known('pole-k3')).toBe(true);
    const revokedAt = Date.now();
    await elsewhere.revoke('pole-k3');
    await waitFor(async () => !(await devices.known('pole-k3')), 'the revoke to reach the cache', 1000);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('does not cache an answer that was on its way while a revoke came in', async () => {
    await registry.add('pole-k4');
    // The real registry, its answers held back until the cache has heard the revoke.
    let heard!: () => void;
    const revokeHeard = new Promise<void>((resolve) => (heard = resolve));
    const slow = await watchKnownDevices({
      get: async (deviceId) => {
        const info = await registry.get(deviceId);
        await revokeHeard;
        return info;
      },
      watchRevocations: (onRevoked, onError) => registry.watchRevocations((deviceId) => (onRevoked(deviceId), heard()), onError),
    }, pino({ level: 'silent' }), HOUR_MS);
    try {
      const reading = slow.known('pole-k4'); // reads "registered", then waits
      await elsewhere.revoke('pole-k4');
      expect(await reading).toBe(true); // read before the revoke
      expect(await slow.known('pole-k4')).toBe(false); // not served from the cache
    } finally {
      await slow.close();
    }
  });
});

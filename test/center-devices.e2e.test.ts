/**
 * The centre's configured MQTT account name is no device id: the centre reserves it in Redis at
 * start, so `streetwatch device add` refuses it from any process.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { captureLogger, dropPrefix, REDIS_URL, testPrefix } from '../broker/test-support.js';
import { startCenter, type RunningCenter } from '../ticketing/center.js';
import { centerConfigSchema } from '../ticketing/config.js';
import { tempDir } from './fixtures.js';

const CENTRE_ACCOUNT = 'city-centre';

describe('devices of a running centre', () => {
  const prefix = testPrefix();
  const redis = new Redis(REDIS_URL);
  let center: RunningCenter;

  beforeAll(async () => {
    const config = centerConfigSchema.parse({
      redisPrefix: prefix, redisUrl: REDIS_URL, dataDir: tempDir('sw-account-'),
      mqtt: { host: '127.0.0.1', port: 0, username: CENTRE_ACCOUNT },
      teams: [{ id: 'team-a' }], defaultTeam: 'team-a',
    });
    center = await startCenter({ config, roles: ['ingest'], instanceId: `account-${prefix}`, logger: captureLogger().logger });
  });
  afterAll(async () => {
    await center?.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it("reserves the centre's configured account name: no device can be given it", async () => {
    expect(await new DeviceRegistry(redis, prefix).add(CENTRE_ACCOUNT).catch((err: unknown) => err)).toMatchObject({
      code: 'DEVICE_RESERVED_ID',
      message: expect.stringContaining(`"${CENTRE_ACCOUNT}" is reserved: it is the centre's MQTT account name`),
    });
  });
});

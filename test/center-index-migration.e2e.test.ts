/**
 * An upgrade's first process of the new version may be an `api` one, with no worker started yet:
 * a report near an open order of the older version (not yet in the place index) must still join
 * it, not open a second order beside it.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { captureLogger, testPrefix } from '../broker/test-support.js';
import { centerConfigSchema } from '../center/config.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { tempDir } from './fixtures.js';
import { deleteKeys } from './helpers/redis-keys.js';
import { dropIndexes, reportInput } from './helpers/unindexed-orders.js';

const APP_KEY = 'citizen-app-key-migration-01';
const SPOT = { lat: 32.0605, long: 118.7969 };

describe('an api-only process of a new version, before any worker', () => {
  const prefix = testPrefix();
  const redis = new Redis({ maxRetriesPerRequest: null });
  let centre: RunningCenter | null = null;

  afterAll(async () => {
    await centre?.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('files a report near an older, unindexed open order into that order', async () => {
    const store = new RedisWorkOrderStore(redis, prefix);
    const old = (await store.openReport(reportInput(SPOT, { at: new Date().toISOString() }))).order;
    await dropIndexes(redis, prefix);
    const config = centerConfigSchema.parse({
      redisPrefix: prefix, dataDir: tempDir('sw-reindex-'),
      mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 },
      teams: [{ id: 'north' }], defaultTeam: 'north',
      reports: { radiusMeters: 50, windowMinutes: 60 },
      open311: { clients: [{ id: 'app', apiKey: APP_KEY }] },
    });
    const log = captureLogger();
    centre = await startCenter({ config, roles: ['api'], logger: log.logger });

    const res = await fetch(`${centre.httpUrl}/open311/v2/requests.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ api_key: APP_KEY, service_code: 'illegal_parking', lat: String(SPOT.lat), long: String(SPOT.long + 0.0001), description: 'blocking the lane' }).toString(),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as Array<{ service_request_id: string }>)[0].service_request_id).toBe(old.id);
    expect((await store.list({}, { offset: 0, limit: 10 })).total).toBe(1);
    expect(log.lines).toContainEqual(expect.objectContaining({ checked: 1, msg: 'orders from before the place and reporter indexes put into them once' }));
  });
});

/**
 * A centre on an external broker (the Mosquitto of the test machine) with `mqtt.httpAuth` set
 * serves the broker's login and ACL checks from its api role, over the registry `streetwatch
 * device` writes: a device added is let in, and refused on its next connect once revoked. The
 * routes themselves are tested request by request in center/http/broker-auth.test.ts.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { captureLogger, dropPrefix, REDIS_URL, testPrefix } from '../broker/test-support.js';
import { centerConfigSchema } from '../center/config.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { edgeClientId, topics } from '../contract/index.js';
import { tempDir } from './fixtures.js';

const SECRET = 'e2e-broker-secret-0123456789';
const CENTER_PASSWORD = 'e2e-centre-password';

describe('a centre on an external broker answering its HTTP auth checks', () => {
  const prefix = testPrefix();
  const root = `swtest-${prefix.slice(8, 14)}/v1`;
  const redis = new Redis(REDIS_URL);
  let center: RunningCenter;

  const post = async (path: string, body: object) => {
    const res = await fetch(`${center.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-streetwatch-broker-secret': SECRET },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const config = centerConfigSchema.parse({
      rootTopic: root, redisPrefix: prefix, dataDir: tempDir('sw-broker-auth-'),
      mqtt: { url: 'mqtt://127.0.0.1:1883', password: CENTER_PASSWORD, httpAuth: { secret: SECRET } },
      http: { host: '127.0.0.1', port: 0 },
      teams: [{ id: 'team-a' }], defaultTeam: 'team-a',
    });
    center = await startCenter({ config, roles: ['api'], instanceId: `brokerauth-${process.pid}`, logger: captureLogger().logger });
  });
  afterAll(async () => {
    await center?.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('lets in a device `device add` registered, applies the ACL, and refuses it on the next connect once revoked', async () => {
    const cli = new DeviceRegistry(redis, prefix);
    const creds = await cli.add('pole-e1');
    const connect = { username: creds.username, password: creds.password, clientid: edgeClientId('pole-e1') };

    expect((await post('/broker-auth/emqx/authn', connect)).json).toEqual({ result: 'allow', is_superuser: false });
    expect((await post('/broker-auth/emqx/authn', { username: 'streetwatch-center', password: CENTER_PASSWORD, clientid: 'streetwatch-ingest-x' })).json.result).toBe('allow');
    const publish = (topic: string) => post('/broker-auth/emqx/authz', { username: 'pole-e1', clientid: connect.clientid, topic, action: 'publish', qos: '1', retain: 'false' });
    expect((await publish(topics.detections(root, 'pole-e1', 'cam-1'))).json.result).toBe('allow');
    expect((await publish(topics.configDesired(root, 'pole-e1'))).json.result).toBe('deny');

    await cli.revoke('pole-e1');
    expect((await post('/broker-auth/emqx/authn', connect)).json.result).toBe('deny');
    expect((await post('/broker-auth/mosquitto/user', connect)).status).toBe(403);
    expect((await publish(topics.detections(root, 'pole-e1', 'cam-1'))).json.result).toBe('deny');
  });
});

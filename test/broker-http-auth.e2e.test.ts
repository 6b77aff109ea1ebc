/**
 * A centre on an external broker (the Mosquitto of the test machine) with `mqtt.httpAuth` set
 * serves the broker's login and ACL checks from its api role, over the registry `streetwatch
 * device` writes: a device added is let in, and refused on its next connect once revoked. When its
 * Redis freezes (a private redis-server, SIGSTOP: the connection stays open, nothing answers), the
 * checks refuse within the brokers' request timeout rather than hang. The routes themselves are
 * tested request by request in center/http/broker-auth.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { captureLogger, testPrefix } from '../broker/test-support.js';
import { centerConfigSchema } from '../center/config.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { connectRedis } from '../common/redis.js';
import { edgeClientId, topics } from '../contract/index.js';
import { tempDir } from './fixtures.js';
import { freePort, waitFor } from './helpers/processes.js';

const SECRET = 'e2e-broker-secret-0123456789';
const CENTER_PASSWORD = 'e2e-centre-password';
/** EMQX's and go-auth's default request timeout: an answer must come before the broker gives up. */
const BROKER_TIMEOUT_MS = 5000;

describe('a centre on an external broker answering its HTTP auth checks', () => {
  const prefix = testPrefix();
  const root = `swtest-${prefix.slice(8, 14)}/v1`;
  let redisServer: ChildProcess;
  let redis: Redis;
  let center: RunningCenter;

  const post = async (path: string, body: object) => {
    const res = await fetch(`${center.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-streetwatch-broker-secret': SECRET },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(BROKER_TIMEOUT_MS),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const port = await freePort();
    redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
    const redisUrl = `redis://127.0.0.1:${port}`;
    await waitFor(() => connectRedis(redisUrl).then((r) => (r.disconnect(), true), () => false), `redis-server on port ${port}`);
    redis = new Redis(redisUrl);
    const config = centerConfigSchema.parse({
      redisUrl, rootTopic: root, redisPrefix: prefix, dataDir: tempDir('sw-broker-auth-'),
      mqtt: { url: 'mqtt://127.0.0.1:1883', password: CENTER_PASSWORD, httpAuth: { secret: SECRET } },
      http: { host: '127.0.0.1', port: 0 },
      teams: [{ id: 'team-a' }], defaultTeam: 'team-a',
    });
    center = await startCenter({ config, roles: ['api'], instanceId: `brokerauth-${process.pid}`, logger: captureLogger().logger });
  });
  afterAll(async () => {
    redisServer?.kill('SIGCONT'); // a frozen Redis would hold up the centre's close
    await center?.close();
    redis?.disconnect();
    if (redisServer && redisServer.exitCode === null) {
      const exited = new Promise((resolve) => redisServer.once('exit', resolve));
      redisServer.kill('SIGTERM');
      await exited;
    }
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

  it('refuses, in time for the broker, while Redis is frozen', async () => {
    const creds = await new DeviceRegistry(redis, prefix).add('pole-e2');
    const connect = { username: creds.username, password: creds.password, clientid: edgeClientId('pole-e2') };
    expect((await post('/broker-auth/emqx/authn', connect)).json.result).toBe('allow');

    redisServer.kill('SIGSTOP');
    expect((await post('/broker-auth/emqx/authn', connect)).json).toEqual({ result: 'deny', is_superuser: false });
    expect((await post('/broker-auth/mosquitto/acl', { username: 'pole-e2', clientid: connect.clientid, topic: topics.status(root, 'pole-e2'), acc: 2 })).status).toBe(503);
    redisServer.kill('SIGCONT');
    await waitFor(async () => (await post('/broker-auth/emqx/authn', connect)).json.result === 'allow', 'logins again once Redis answers');
  }, 30_000);
});

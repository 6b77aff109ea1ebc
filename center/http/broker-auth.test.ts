/**
 * The external broker's checks over a real socket, against a device registry in Redis filled the
 * way `streetwatch device add|revoke` fills it. Requests are built the way the brokers build them:
 * EMQX 5 renders the body template an operator configures (docs/deployment.md) and sends the
 * secret as a header; mosquitto-go-auth sends Go's json.Marshal of its fields (keys sorted, `acc` a
 * number) or url.Values (form mode) and the secret in the URI; mosquitto-auth-plug a form with
 * every field, `acc=-1` on login.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry, type DeviceCredentials } from '../../broker/device-registry.js';
import { ExternalAuth } from '../../broker/external-auth.js';
import { SessionOwners } from '../../broker/session-owners.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../../broker/test-support.js';
import { edgeClientId, topics } from '../../contract/index.js';
import { BROKER_SECRET_HEADER } from './broker-auth.js';
import { testApi } from './test-app.js';

const ROOT = 'streetwatch/v1';
const SECRET = 'broker-secret-0123456789';
const CENTER = { username: 'streetwatch-center', password: 'centre-password-0123' };

/** EMQX 5's documented templates, rendered as EMQX renders them: each `${name}` replaced in the text. */
const EMQX_AUTHN_TEMPLATE = '{"username":"${username}","password":"${password}","clientid":"${clientid}"}';
const EMQX_AUTHZ_TEMPLATE = '{"username":"${username}","clientid":"${clientid}","topic":"${topic}","action":"${action}","qos":"${qos}","retain":"${retain}"}';
const render = (template: string, values: Record<string, string>) => template.replace(/\$\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
/** The headers EMQX 5 sends by default (less the connection ones, which fetch keeps to itself), plus the operator's secret. */
const EMQX_HEADERS = { 'content-type': 'application/json', accept: 'application/json', 'cache-control': 'no-cache' };

/** Go's json.Marshal of a map: keys sorted. */
const goJson = (fields: Record<string, string | number>) => JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))));
/** Go's url.Values.Encode(): keys sorted, form-encoded. */
const goForm = (fields: Record<string, string | number>) => new URLSearchParams(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, String(v)])).toString();

function rig(auth: ExternalAuth) {
  const api = testApi({ deps: { brokerAuth: { secret: SECRET, auth } } });
  let base = '';
  const send = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
  };
  return {
    api,
    async start() {
      base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    },
    url: (path: string) => `${base}${path}`,
    emqxAuthn: (values: Record<string, string>, secret: string | null = SECRET) =>
      send('/broker-auth/emqx/authn', render(EMQX_AUTHN_TEMPLATE, values), { ...EMQX_HEADERS, ...(secret === null ? {} : { [BROKER_SECRET_HEADER]: secret }) }),
    emqxAuthz: (values: Record<string, string>) =>
      send('/broker-auth/emqx/authz', render(EMQX_AUTHZ_TEMPLATE, { qos: '1', retain: 'false', ...values }), { ...EMQX_HEADERS, [BROKER_SECRET_HEADER]: SECRET }),
    /** go-auth: `auth_opt_http_getuser_uri /broker-auth/mosquitto/user?secret=…` and so on. */
    goAuth: (check: 'user' | 'superuser' | 'acl', fields: Record<string, string | number>, mode: 'json' | 'form' = 'json', secret = SECRET) =>
      send(`/broker-auth/mosquitto/${check}?secret=${encodeURIComponent(secret)}`, mode === 'json' ? goJson(fields) : goForm(fields), {
        'content-type': mode === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        'user-agent': 'mosquitto-2.0.18',
      }),
  };
}

describe('broker auth routes, registry in Redis', () => {
  const prefix = testPrefix();
  const redis = new Redis(REDIS_URL);
  const registry = new DeviceRegistry(redis, prefix); // what `streetwatch device` uses
  const owners = new SessionOwners(redis, `${prefix}:mqtt:owners`);
  const broker = rig(new ExternalAuth({ registry, owners, center: CENTER, rootTopic: ROOT }));
  let pole1: DeviceCredentials;
  let pole2: DeviceCredentials;
  let pole3: DeviceCredentials;

  beforeAll(async () => {
    [pole1, pole2, pole3] = await Promise.all([registry.add('pole-1'), registry.add('pole-2'), registry.add('pole-3')]);
    await broker.start();
  });
  afterAll(async () => {
    await broker.api.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('EMQX 5 HTTP authentication', () => {
    const login = (creds: { username: string; password: string }, clientid = edgeClientId(creds.username)) => broker.emqxAuthn({ ...creds, clientid });

    it('lets a registered device in with its own client id, never as a superuser', async () => {
      const res = await login(pole1);
      expect(res).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), json: { result: 'allow', is_superuser: false } });
    });

    it('denies a wrong password, and ignores a username that is no account of ours (the next authenticator decides)', async () => {
      expect((await login({ username: 'pole-1', password: pole2.password })).json.result).toBe('deny');
      expect((await login({ username: 'pole-1', password: '' })).json.result).toBe('deny');
      expect((await login({ username: 'grafana', password: 'whatever' })).json.result).toBe('ignore');
    });

    it('lets the centre in with its password, not as a superuser, and refuses a wrong one', async () => {
      expect((await login(CENTER, 'streetwatch-ingest-a')).json).toEqual({ result: 'allow', is_superuser: false });
      expect((await login({ username: CENTER.username, password: 'guess' }, 'streetwatch-ingest-a')).json.result).toBe('deny');
    });

    it("refuses a device the centre's client ids, another box's client id, and one the embedded broker recorded as another's", async () => {
      expect((await login(pole1, 'streetwatch-ingest-a')).json.result).toBe('deny');
      expect((await login(pole1, 'streetwatch-center-x')).json.result).toBe('deny');
      expect((await login(pole1, edgeClientId('pole-2'))).json.result).toBe('deny');
      expect(await owners.claim('bench-rig', { kind: 'device', deviceId: 'pole-2' }, true)).toBe(true);
      expect((await login(pole1, 'bench-rig')).json.result).toBe('deny');
      expect((await login(pole2, 'bench-rig')).json.result).toBe('allow');
      expect((await login(pole1, 'pole-1-custom')).json.result).toBe('allow');
    });

    it('refuses a revoked device on its next connect, though its password passed a moment before', async () => {
      expect((await login(pole3)).json.result).toBe('allow');
      await registry.revoke('pole-3');
      expect((await login(pole3)).json.result).toBe('deny');
    });
  });

  describe('EMQX 5 HTTP authorization', () => {
    const check = async (username: string, action: string, topic: string) => (await broker.emqxAuthz({ username, clientid: edgeClientId(username), action, topic })).json.result;

    it('allows a device to publish its own detections and reports, and to subscribe to its desired config', async () => {
      expect(await check('pole-1', 'publish', topics.detections(ROOT, 'pole-1', 'cam-a'))).toBe('allow');
      expect(await check('pole-1', 'publish', topics.configReported(ROOT, 'pole-1'))).toBe('allow');
      expect(await check('pole-1', 'subscribe', topics.configDesired(ROOT, 'pole-1'))).toBe('allow');
      expect(await check('pole-1', 'subscribe', topics.modelDesired(ROOT, 'pole-1'))).toBe('allow');
    });

    it("denies another device's topics, its own desired config as a publish, `#`, and actions it does not know", async () => {
      expect(await check('pole-1', 'publish', topics.detections(ROOT, 'pole-2', 'cam-a'))).toBe('deny');
      expect(await check('pole-1', 'publish', topics.configDesired(ROOT, 'pole-1'))).toBe('deny');
      expect(await check('pole-1', 'publish', topics.modelDesired(ROOT, 'pole-1'))).toBe('deny');
      expect(await check('pole-1', 'subscribe', topics.configDesired(ROOT, 'pole-2'))).toBe('deny');
      expect(await check('pole-1', 'subscribe', '#')).toBe('deny');
      expect(await check('pole-1', 'subscribe', `${ROOT}/#`)).toBe('deny');
      expect(await check('pole-1', 'all', topics.detections(ROOT, 'pole-1', 'cam-a'))).toBe('deny');
    });

    it("allows the centre its shared ingest subscription and the boxes' desired config, nothing outside the root", async () => {
      expect(await check(CENTER.username, 'subscribe', `$share/streetwatch/${ROOT}/#`)).toBe('allow');
      expect(await check(CENTER.username, 'publish', topics.configDesired(ROOT, 'pole-1'))).toBe('allow');
      expect(await check(CENTER.username, 'subscribe', '$SYS/#')).toBe('deny');
    });

    it('denies a revoked device and accounts that are not ours', async () => {
      expect(await check('pole-3', 'publish', topics.detections(ROOT, 'pole-3', 'cam-a'))).toBe('deny');
      expect(await check('grafana', 'subscribe', `${ROOT}/#`)).toBe('deny');
    });
  });

  describe('the shared secret', () => {
    it('answers 401 without it and 403 with a wrong one, in the header or the query', async () => {
      const missing = await broker.emqxAuthn({ ...pole1, clientid: 'c' }, null);
      expect(missing.status).toBe(401);
      expect(missing.json).toMatchObject({ code: 'UNAUTHORIZED', error: expect.stringContaining(BROKER_SECRET_HEADER) });
      const wrong = await broker.emqxAuthn({ ...pole1, clientid: 'c' }, 'not-the-secret-at-all');
      expect(wrong).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
      expect((await broker.goAuth('user', { ...pole1, clientid: 'c' }, 'json', 'not-the-secret-at-all')).status).toBe(403);
    });
  });

  describe('bad input', () => {
    const raw = async (path: string, type: string, body: string) => {
      const res = await fetch(broker.url(`${path}?secret=${SECRET}`), { method: 'POST', headers: { 'content-type': type }, body });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    it('answers malformed, mistyped or oversized bodies with a 4xx in the error shape, never an answer a broker would take as allow', async () => {
      expect(await raw('/broker-auth/emqx/authn', 'application/json', '{"username":')).toMatchObject({ status: 400, json: { code: expect.any(String) } });
      expect(await raw('/broker-auth/mosquitto/acl', 'application/json', goJson({ acc: 'write', clientid: 'c', topic: 't', username: 'pole-1' }))).toMatchObject({ status: 400, json: { field: 'acc' } });
      expect(await raw('/broker-auth/emqx/authz', 'application/json', JSON.stringify({ username: 'pole-1', topic: 'x'.repeat(70_000), action: 'publish' }))).toMatchObject({ status: 413 });
      expect(await raw('/broker-auth/mosquitto/user', 'text/plain', 'username=pole-1')).toMatchObject({ status: 400, json: { code: 'VALIDATION' } });
      expect(await raw('/broker-auth/mosquitto/user', 'application/xml', '<u/>')).toMatchObject({ status: 415 });
    });
  });

  describe('mosquitto-go-auth HTTP backend', () => {
    const acl = async (username: string, topic: string, acc: number, mode: 'json' | 'form' = 'json') => (await broker.goAuth('acl', { username, clientid: edgeClientId(username), topic, acc }, mode)).status;

    it('logs a registered device in (200, Ok for the json response mode) and refuses a wrong password or a revoked device (403)', async () => {
      expect(await broker.goAuth('user', { username: 'pole-1', password: pole1.password, clientid: edgeClientId('pole-1') })).toMatchObject({ status: 200, json: { Ok: true, Error: '' } });
      const wrong = await broker.goAuth('user', { username: 'pole-1', password: 'nope', clientid: edgeClientId('pole-1') });
      expect(wrong).toMatchObject({ status: 403, json: { Ok: false } });
      expect((await broker.goAuth('user', { username: 'pole-3', password: pole3.password, clientid: edgeClientId('pole-3') })).status).toBe(403);
      expect((await broker.goAuth('user', { ...CENTER, clientid: 'streetwatch-api-x' })).status).toBe(200);
    });

    it('makes no account a superuser, so that every one passes the ACL', async () => {
      expect((await broker.goAuth('superuser', { username: CENTER.username })).status).toBe(403);
      expect((await broker.goAuth('superuser', { username: 'pole-1' })).status).toBe(403);
    });

    it('checks write (2) and subscribe (4) as the embedded broker does', async () => {
      expect(await acl('pole-1', topics.detections(ROOT, 'pole-1', 'cam-a'), 2)).toBe(200);
      expect(await acl('pole-1', topics.detections(ROOT, 'pole-2', 'cam-a'), 2)).toBe(403);
      expect(await acl('pole-1', topics.configDesired(ROOT, 'pole-1'), 2)).toBe(403);
      expect(await acl('pole-1', topics.configDesired(ROOT, 'pole-1'), 4)).toBe(200);
      expect(await acl('pole-1', '#', 4)).toBe(403);
      expect(await acl(CENTER.username, `$share/streetwatch/${ROOT}/#`, 4)).toBe(200);
    });

    it('delivers (read, 1) to a device only what its allowed subscriptions match: its own config and model announcements', async () => {
      expect(await acl('pole-1', topics.configDesired(ROOT, 'pole-1'), 1)).toBe(200);
      expect(await acl('pole-1', topics.modelDesired(ROOT, 'pole-1'), 1)).toBe(200);
      expect(await acl('pole-1', topics.configDesired(ROOT, 'pole-2'), 1)).toBe(403);
      expect(await acl('pole-1', topics.detections(ROOT, 'pole-2', 'cam-a'), 1)).toBe(403);
      expect(await acl('pole-1', topics.teamOrders(ROOT, 'north'), 1)).toBe(403);
      expect(await acl(CENTER.username, topics.detections(ROOT, 'pole-2', 'cam-a'), 1)).toBe(200);
    });

    it('needs both for read-write (3), allows unsubscribe (8) to its accounts only, and refuses access values it does not know', async () => {
      expect(await acl('pole-1', topics.configReported(ROOT, 'pole-1'), 3)).toBe(200);
      expect(await acl('pole-1', topics.configDesired(ROOT, 'pole-1'), 3)).toBe(403); // may read, not write
      expect(await acl('pole-1', topics.configDesired(ROOT, 'pole-1'), 8)).toBe(200);
      expect(await acl('pole-3', topics.configDesired(ROOT, 'pole-3'), 8)).toBe(403); // revoked
      expect(await acl('pole-1', topics.detections(ROOT, 'pole-1', 'cam-a'), 16)).toBe(403);
    });

    it('takes the same checks as form parameters (http_params_mode form)', async () => {
      expect((await broker.goAuth('user', { username: 'pole-1', password: pole1.password, clientid: edgeClientId('pole-1') }, 'form')).status).toBe(200);
      expect((await broker.goAuth('user', { username: 'pole-1', password: 'nope', clientid: edgeClientId('pole-1') }, 'form')).status).toBe(403);
      expect(await acl('pole-1', topics.detections(ROOT, 'pole-1', 'cam-a'), 2, 'form')).toBe(200);
      expect(await acl('pole-1', topics.detections(ROOT, 'pole-2', 'cam-a'), 2, 'form')).toBe(403);
    });
  });

  describe('mosquitto-auth-plug HTTP backend', () => {
    /** Its form, field for field: every check sends all five, `acc=-1` and no client id on login, with HTTP basic auth. */
    const plug = async (check: 'user' | 'acl', fields: { username: string; password?: string; topic?: string; acc: number; clientid?: string }) => {
      const body = `username=${encodeURIComponent(fields.username)}&password=${encodeURIComponent(fields.password ?? '')}&topic=${encodeURIComponent(fields.topic ?? '')}&acc=${fields.acc}&clientid=${fields.clientid ?? ''}`;
      const res = await fetch(broker.url(`/broker-auth/mosquitto/${check}?secret=${SECRET}`), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${fields.username}:${fields.password ?? ''}`).toString('base64')}` },
        body,
      });
      return res.status;
    };

    it('logs in and checks the ACL from its form fields', async () => {
      expect(await plug('user', { username: 'pole-1', password: pole1.password, acc: -1 })).toBe(200);
      expect(await plug('user', { username: 'pole-1', password: 'nope', acc: -1 })).toBe(403);
      expect(await plug('acl', { username: 'pole-1', topic: topics.status(ROOT, 'pole-1'), acc: 2, clientid: edgeClientId('pole-1') })).toBe(200);
      expect(await plug('acl', { username: 'pole-1', topic: topics.status(ROOT, 'pole-2'), acc: 2, clientid: edgeClientId('pole-1') })).toBe(403);
    });
  });
});

describe('broker auth routes, Redis unreachable', () => {
  // Fails every command at once: no offline queue, no retries.
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  down.on('error', () => undefined);
  const registry = new DeviceRegistry(down, testPrefix());
  const broker = rig(new ExternalAuth({ registry, owners: new SessionOwners(down, 'owners'), center: CENTER, rootTopic: ROOT }));

  beforeAll(() => broker.start());
  afterAll(async () => {
    await broker.api.close();
    down.disconnect();
  });

  it('denies EMQX with a 200 (any other status reads as ignore) and answers Mosquitto 503; never allows', async () => {
    expect(await broker.emqxAuthn({ username: 'pole-1', password: 'x', clientid: 'c' })).toMatchObject({ status: 200, json: { result: 'deny', is_superuser: false } });
    expect(await broker.emqxAuthz({ username: 'pole-1', clientid: 'c', action: 'publish', topic: topics.status(ROOT, 'pole-1') })).toMatchObject({ status: 200, json: { result: 'deny' } });
    expect(await broker.goAuth('user', { username: 'pole-1', password: 'x', clientid: 'c' })).toMatchObject({ status: 503, json: { Ok: false } });
    expect((await broker.goAuth('acl', { username: 'pole-1', clientid: 'c', topic: topics.status(ROOT, 'pole-1'), acc: 2 })).status).toBe(503);
  });

  it("still checks the centre's own password, which needs no Redis", async () => {
    expect((await broker.emqxAuthn({ ...CENTER, clientid: 'streetwatch-ingest-a' })).json.result).toBe('deny'); // its client-id claim needs Redis
    expect((await broker.emqxAuthz({ username: CENTER.username, clientid: 'c', action: 'subscribe', topic: `${ROOT}/#` })).json.result).toBe('allow');
  });
});

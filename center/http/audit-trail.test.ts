/**
 * Every state-changing route leaves an audit line naming the user who made the change: the
 * centre's audit log for users, tokens, lockouts, devices, zones, settings, models and exempt
 * plates; the order's own trail for work orders. The table must list every write route the API
 * has (a new one without a row fails here), each run once against real Redis and a real broker.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.js';
import { startAedes, type AedesHandle } from '../../test/helpers/aedes-broker.js';
import { readAudit, type AuditLine } from '../audit/audit-log.js';
import { DesiredConfigStore } from '../devices/desired-config-store.js';
import { deviceConfigService } from '../devices/device-config-service.js';
import { exemptPlateService } from '../devices/exempt-plate-service.js';
import { ExemptPlateStore } from '../devices/exempt-plate-store.js';
import { ModelFiles } from '../devices/model-files.js';
import { modelService } from '../devices/model-service.js';
import { DeviceStateStore } from '../ingest/device-state.js';
import { CONSOLE_HEADER } from './auth.js';
import { seedOrder } from './test-store.js';
import { auth, DEVICES, testApi, testConfig } from './test-app.js';
import pino from 'pino';
import { fakeJpeg } from '../ingest/test-fixtures.js';
import { NoopMetricsWriter } from '../metrics/points.js';
import { EvidenceStore } from '../../ticketing/evidence-store.js';
import { reportIntake } from '../../ticketing/report-intake.js';
import { RedisWorkOrderStore } from '../../ticketing/work-order-store.js';
import { Workflow } from '../../ticketing/workflow.js';

const ROOT = 'streetwatch/v1';
const HOTLINE_KEY = 'hotline-audit-key-0123456';
/** A multipart inspector report: a JPEG and its place. */
const PHOTO_REPORT = (() => {
  const boundary = 'sw-audit';
  const field = (k: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(field('type', 'obstruction') + field('lat', '20') + field('long', '20')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    fakeJpeg(),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
})();
const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const MODEL = randomBytes(1000);
const SHA = createHash('sha256').update(MODEL).digest('hex');
const PASSWORD = 'a long enough password';
const ZONE = { id: 'kerb', kind: 'no_parking', polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.4]], dwellSeconds: 60 };
const MODEL_BODY = { name: 'yolox_nano', version: '2026.11-kerb', sha256: SHA };
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);

interface Step {
  method: 'POST' | 'PUT' | 'DELETE';
  /** The route as registered. */
  route: string;
  /** The request (a function when it needs what an earlier step made). */
  url: string | (() => string);
  headers: () => Record<string, string>;
  payload?: object | Buffer | string;
  status: number;
  /** The audit line expected (centre log), or the work order whose trail must name `by`. */
  audit?: Pick<AuditLine, 'by' | 'action' | 'subject'>;
  order?: { by: string; id: () => string };
}

describe('the audit trail names the user of every state change', () => {
  let broker: AedesHandle;
  let mqtt: MqttClient;
  let api: ReturnType<typeof testApi>;
  const written = new Set<string>();
  const orders: Record<string, string> = {};
  let rita = { token: '', cookie: '', tokenId: '' };

  beforeAll(async () => {
    broker = await startAedes();
    mqtt = await connectAsync(broker.url);
    const devices = { list: async () => DEVICES };
    const reporting = { open311: { clients: [{ id: 'hotline', apiKey: HOTLINE_KEY }] } };
    api = testApi({
      http: { publicUrl: 'http://centre.example:8080/' },
      config: reporting,
      deps: ({ redis, prefix }) => {
        const deviceState = new DeviceStateStore(redis, prefix);
        const desired = new DesiredConfigStore(redis, prefix);
        const deviceConfig = deviceConfigService({ desired, deviceState, mqtt, root: ROOT, publishLive: () => {}, now: () => NOW });
        return {
          now: () => NOW,
          devices,
          deviceConfig,
          exemptPlates: exemptPlateService({ store: new ExemptPlateStore(redis, prefix), devices, deviceConfig, desired, now: () => NOW }),
          models: modelService({ redis, prefix, files: new ModelFiles(tempDir('sw-audit-models-')), deviceState, mqtt, root: ROOT, now: () => NOW }),
          reports: reportIntake({
            evidence: new EvidenceStore(tempDir('sw-audit-evidence-')),
            workflow: new Workflow({ config: testConfig({}, reporting), store: new RedisWorkOrderStore(redis, prefix), metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }) }),
            maxPhotoBytes: 64 * 1024,
          }),
        };
      },
    });
    // Every write route the API registers (HEAD and GET read; sign-in and sign-out are sessions, not changes).
    api.app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (!['GET', 'HEAD', 'OPTIONS'].includes(m) && r.url !== '/api/session') written.add(`${m} ${r.url}`);
    });
    await api.app.ready();

    // A stored operator signed in by cookie, for the routes of one's own account.
    const { users } = api;
    await users.accounts.create({ name: 'rita', role: 'operator' }, 'test', PASSWORD);
    const signIn = await api.app.inject({ method: 'POST', url: '/api/session', payload: { name: 'rita', password: PASSWORD } });
    rita = { ...rita, cookie: String(signIn.headers['set-cookie']).split(';')[0] };
    await users.accounts.create({ name: 'locked', role: 'officer', officerId: 'o-north' }, 'test', PASSWORD);
    for (let i = 0; i < 5; i++) await users.limiter.failed('locked', '198.51.100.9');
    for (let i = 0; i < 20; i++) await users.limiter.failed(null, '198.51.100.10');
    const seeded = (state: 'dispatched' | 'pending_review') => seedOrder(api.store, { state, discoveredAt: new Date(NOW).toISOString() });
    orders.cancel = (await seeded('dispatched')).id;
    orders.reassign = (await seeded('dispatched')).id;
    orders.confirm = (await seeded('pending_review')).id;
    orders.reject = (await seeded('pending_review')).id;
    orders.photo = (await seeded('dispatched')).id;
  });
  afterAll(async () => {
    await api.close();
    await mqtt.endAsync();
    await broker.stop();
  });

  const admin = () => auth('admin');
  const cookie = () => ({ cookie: rita.cookie, [CONSOLE_HEADER]: '1' });
  const STEPS: Step[] = [
    { method: 'PUT', route: '/api/devices/:deviceId/cameras/:cameraId/zones', url: '/api/devices/box-1/cameras/cam-1/zones', headers: () => auth('operator'), payload: { zones: [ZONE] }, status: 200, audit: { by: 'olga', action: 'zones.changed', subject: 'box-1/cam-1' } },
    { method: 'PUT', route: '/api/devices/:deviceId/settings', url: '/api/devices/box-1/settings', headers: admin, payload: { privacy: { blurPlates: false } }, status: 200, audit: { by: 'ada', action: 'settings.changed', subject: 'box-1' } },
    { method: 'PUT', route: '/api/exempt-plates/:plate', url: '/api/exempt-plates/AB123', headers: admin, payload: { reason: 'ambulance' }, status: 200, audit: { by: 'ada', action: 'exempt-plate.added', subject: 'AB123' } },
    { method: 'DELETE', route: '/api/exempt-plates/:plate', url: '/api/exempt-plates/AB123', headers: admin, status: 200, audit: { by: 'ada', action: 'exempt-plate.removed', subject: 'AB123' } },
    { method: 'PUT', route: '/api/models/:sha256', url: `/api/models/${SHA}`, headers: () => ({ ...admin(), 'content-type': 'application/octet-stream' }), payload: MODEL, status: 201, audit: { by: 'ada', action: 'model.uploaded', subject: SHA } },
    { method: 'POST', route: '/api/devices/:deviceId/model', url: '/api/devices/box-1/model', headers: admin, payload: MODEL_BODY, status: 200, audit: { by: 'ada', action: 'model.announced', subject: 'box-1' } },
    { method: 'POST', route: '/api/models/announce', url: '/api/models/announce', headers: admin, payload: MODEL_BODY, status: 200, audit: { by: 'ada', action: 'model.announced', subject: 'box-1' } },
    { method: 'POST', route: '/api/users', url: '/api/users', headers: admin, payload: { name: 'newbie', role: 'operator' }, status: 201, audit: { by: 'ada', action: 'user.added', subject: 'newbie' } },
    { method: 'POST', route: '/api/users/:name/disable', url: '/api/users/newbie/disable', headers: admin, status: 200, audit: { by: 'ada', action: 'user.disabled', subject: 'newbie' } },
    { method: 'POST', route: '/api/users/:name/enable', url: '/api/users/newbie/enable', headers: admin, status: 200, audit: { by: 'ada', action: 'user.enabled', subject: 'newbie' } },
    { method: 'POST', route: '/api/users/:name/reset', url: '/api/users/newbie/reset', headers: admin, status: 200, audit: { by: 'ada', action: 'user.password-reset', subject: 'newbie' } },
    { method: 'DELETE', route: '/api/users/:name/lockout', url: '/api/users/locked/lockout', headers: admin, status: 200, audit: { by: 'ada', action: 'sign-in-lockout.cleared', subject: 'locked' } },
    { method: 'DELETE', route: '/api/sign-in-lockouts/:address', url: '/api/sign-in-lockouts/198.51.100.10', headers: admin, status: 200, audit: { by: 'ada', action: 'sign-in-lockout.cleared', subject: 'address:198.51.100.10' } },
    { method: 'POST', route: '/api/me/tokens', url: '/api/me/tokens', headers: cookie, payload: { label: 'night report' }, status: 201, audit: { by: 'rita', action: 'api-token.created', subject: 'rita' } },
    { method: 'DELETE', route: '/api/me/tokens/:id', url: () => `/api/me/tokens/${rita.tokenId}`, headers: cookie, status: 204, audit: { by: 'rita', action: 'api-token.revoked', subject: 'rita' } },
    { method: 'POST', route: '/api/me/password', url: '/api/me/password', headers: cookie, payload: { current: PASSWORD, next: `${PASSWORD} changed` }, status: 200, audit: { by: 'rita', action: 'user.password-changed', subject: 'rita' } },
    { method: 'POST', route: '/api/orders/:id/transitions', url: () => `/api/orders/${orders.cancel}/transitions`, headers: () => auth('operator'), payload: { to: 'cancelled' }, status: 200, order: { by: 'olga', id: () => orders.cancel } },
    { method: 'POST', route: '/api/orders/:id/photos', url: () => `/api/orders/${orders.photo}/photos`, headers: () => ({ ...auth('officer'), 'content-type': 'image/jpeg' }), payload: JPEG, status: 201, order: { by: 'nick', id: () => orders.photo } },
    { method: 'POST', route: '/api/orders/:id/assignment', url: () => `/api/orders/${orders.reassign}/assignment`, headers: admin, payload: { officerId: 'o-north-2' }, status: 200, order: { by: 'ada', id: () => orders.reassign } },
    { method: 'POST', route: '/api/review/:id/confirm', url: () => `/api/review/${orders.confirm}/confirm`, headers: () => auth('operator'), status: 200, order: { by: 'olga', id: () => orders.confirm } },
    { method: 'POST', route: '/api/review/:id/reject', url: () => `/api/review/${orders.reject}/reject`, headers: admin, payload: { reason: 'not_a_violation' }, status: 200, order: { by: 'ada', id: () => orders.reject } },
    { method: 'POST', route: '/api/reports', url: '/api/reports', headers: () => ({ ...admin(), ...PHOTO_REPORT.headers }), payload: PHOTO_REPORT.payload, status: 201, order: { by: 'ada', id: () => orders.reported } },
    // Open311 clients are no users: the trail names the client.
    ...(['json', 'xml'] as const).map((f, i): Step => ({
      method: 'POST', route: `/open311/v2/requests.${f}`, url: `/open311/v2/requests.${f}`, headers: () => ({ 'content-type': 'application/x-www-form-urlencoded' }),
      payload: `api_key=${HOTLINE_KEY}&service_code=obstruction&lat=${10 + i}&long=10`, status: 201, order: { by: 'open311:hotline', id: () => orders[`open311-${f}`] },
    })),
  ];

  it('the table lists every write route of the API', () => {
    expect(new Set(STEPS.map((s) => `${s.method} ${s.route}`))).toEqual(written);
  });

  it.each(STEPS.map((s) => [`${s.method} ${s.route}`, s] as const))('%s', async (_name, step) => {
    const url = typeof step.url === 'function' ? step.url() : step.url;
    const res = await api.app.inject({ method: step.method, url, headers: step.headers(), ...(step.payload ? { payload: step.payload } : {}) });
    expect(res.statusCode, res.body).toBe(step.status);
    if (step.route === '/api/me/tokens') rita = { ...rita, tokenId: res.json().id };
    if (step.route === '/api/me/password') rita = { ...rita, cookie: String(res.headers['set-cookie']).split(';')[0] };
    if (step.route === '/api/reports') orders.reported = res.json().id;
    if (step.route.startsWith('/open311/')) orders[`open311-${step.route.split('.').at(-1)}`] = /<service_request_id>([^<]+)</.exec(res.body)?.[1] ?? res.json()[0].service_request_id;
    if (step.audit) {
      const [newest] = await readAudit(api.redis, api.prefix, 1);
      expect(newest).toMatchObject({ ...step.audit, at: expect.any(String) });
    }
    if (step.order) {
      const order = await api.store.get(step.order.id());
      expect(order?.audit.at(-1)?.by).toBe(step.order.by);
    }
  });

  it('a clear that finds no lockout changes nothing and writes no line', async () => {
    const before = await readAudit(api.redis, api.prefix, 1);
    expect((await api.app.inject({ method: 'DELETE', url: '/api/users/nobody/lockout', headers: admin() })).json()).toEqual({ cleared: false });
    expect(await readAudit(api.redis, api.prefix, 1)).toEqual(before);
  });

});

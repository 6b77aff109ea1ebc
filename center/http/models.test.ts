/**
 * Model updates through the API, against real Redis, a real (embedded) broker and real files:
 * uploads are checked against their sha256, files are served only through signed links,
 * announcements go out retained with versions that only grow, and the box's reports show.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDesiredMessage, topics, type DeviceListItem, type ModelDesiredMessage } from '../../contract/index.js';
import { tempDir } from '../../test/fixtures.js';
import { startAedes, type AedesHandle } from '../../test/helpers/aedes-broker.js';
import { deleteKeys } from '../../test/helpers/redis-keys.js';
import { DeviceStateStore } from '../ingest/device-state.js';
import { ModelFiles } from '../devices/model-files.js';
import { createMediaSigner } from './media-links.js';
import { createModelLinkSigner } from '../devices/model-links.js';
import { modelService } from '../devices/model-service.js';
import { REDIS_URL } from './test-store.js';
import { auth, testApi, testConfig } from './test-app.js';

const ROOT = 'streetwatch/v1';
const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const PUBLIC = 'http://centre.example:8080/';
const MODEL = randomBytes(50_000);
const SHA = createHash('sha256').update(MODEL).digest('hex');
const DEVICES: DeviceListItem[] = [
  { deviceId: 'box-1', revokedAt: null, lastSeenAt: null, status: null, telemetry: null },
  { deviceId: 'box-2', revokedAt: null, lastSeenAt: null, status: null, telemetry: null },
  { deviceId: 'box-3', revokedAt: '2026-11-01T00:00:00.000Z', lastSeenAt: null, status: null, telemetry: null },
];

/** The retained model/desired of a box, as a client connecting now sees it. */
async function retained(url: string, deviceId: string): Promise<ModelDesiredMessage> {
  const c = await connectAsync(url);
  try {
    return await new Promise((resolve) => {
      c.on('message', (_t, payload) => resolve(modelDesiredMessage.parse(JSON.parse(payload.toString()))));
      void c.subscribeAsync(topics.modelDesired(ROOT, deviceId), { qos: 1 });
    });
  } finally {
    await c.endAsync();
  }
}

describe('model update API', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `{swmodels-${randomBytes(4).toString('hex')}}`;
  const deviceState = new DeviceStateStore(redis, prefix);
  const files = new ModelFiles(tempDir('sw-models-'));
  let broker: AedesHandle;
  let mqtt: MqttClient;
  let api: ReturnType<typeof testApi>;
  let bare: ReturnType<typeof testApi>;

  beforeAll(async () => {
    broker = await startAedes();
    mqtt = await connectAsync(broker.url);
    const models = modelService({ redis, prefix, files, deviceState, mqtt, root: ROOT, now: () => NOW });
    const deps = { now: () => NOW, devices: { list: async () => DEVICES }, models };
    api = testApi({ deps, http: { publicUrl: PUBLIC } });
    bare = testApi({ deps }); // no http.publicUrl: it cannot hand out links to itself
  });
  afterAll(async () => {
    await api.close();
    await bare.close();
    await mqtt.endAsync();
    await broker.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const upload = (sha: string, body: Buffer | string, who: 'admin' | 'operator' = 'admin', type = 'application/octet-stream') =>
    api.app.inject({ method: 'PUT', url: `/api/models/${sha}`, headers: { ...auth(who), 'content-type': type }, payload: body });
  const announce = (deviceId: string, body: Record<string, unknown>, who: 'admin' | 'operator' = 'admin', app = api.app) =>
    app.inject({ method: 'POST', url: `/api/devices/${deviceId}/model`, headers: auth(who), payload: body });
  const download = (url: string) => api.app.inject({ url: url.replace(PUBLIC.replace(/\/$/, ''), '') });
  const MODEL_BODY = { name: 'yolox_nano', version: '2026.11-kerb', sha256: SHA };

  it('takes an upload only from an admin, and only if the bytes hash to the name', async () => {
    expect((await upload(SHA, MODEL, 'operator')).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'PUT', url: `/api/models/${SHA}`, headers: { 'content-type': 'application/octet-stream' }, payload: MODEL })).statusCode).toBe(401);
    const wrong = await upload('b'.repeat(64), MODEL);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ code: 'MODEL_FILE_MISMATCH', error: `the uploaded bytes hash to ${SHA}, not ${'b'.repeat(64)} (50000 bytes received)` });
    expect((await upload(SHA, '{"not":"bytes"}', 'admin', 'application/json')).statusCode).toBe(415);
    expect((await upload(SHA, Buffer.alloc(0))).json()).toEqual({ code: 'MODEL_FILE_EMPTY', error: 'the upload is empty' });
    expect((await upload('not-a-sha', MODEL)).json()).toMatchObject({ field: 'sha256' });
    expect(await files.get('b'.repeat(64))).toBeNull();

    const first = await upload(SHA, MODEL);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ sha256: SHA, size: MODEL.length });
    expect((await upload(SHA, MODEL)).statusCode).toBe(200); // the same file again changes nothing
  });

  it('announces to one box: retained, with a signed link to the file, versions past what the box reports', async () => {
    const res = await announce('box-1', MODEL_BODY);
    expect(res.statusCode, res.body).toBe(200);
    const desired = res.json();
    expect(desired).toMatchObject({ version: 1, by: 'ada', issuedAt: '2026-11-26T08:00:00.000Z', model: { ...MODEL_BODY, size: MODEL.length } });
    expect(desired.model.url).toMatch(new RegExp(`^http://centre\\.example:8080/models/${SHA}\\.onnx\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    expect(await retained(broker.url, 'box-1')).toEqual({ v: 1, version: 1, issuedAt: desired.issuedAt, model: desired.model });

    // The link is all the box needs: no token.
    const file = await download(desired.model.url);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/octet-stream');
    expect(file.rawPayload.equals(MODEL)).toBe(true);

    // The box reports having applied version 41 (e.g. the centre's Redis was reset since): the next is 42.
    await deviceState.recordModelReported({ v: 1, deviceId: 'box-1', version: 41, status: 'applied', at: '2026-11-26T07:59:00.000Z', model: { name: 'yolox_nano', version: 'old', sha256: 'c'.repeat(64) } }, new Date(NOW));
    expect((await announce('box-1', MODEL_BODY)).json().version).toBe(42);
    const view = (await api.app.inject({ url: '/api/devices/box-1/model', headers: auth('officer') })).json();
    expect(view).toMatchObject({ desired: { version: 42, model: { sha256: SHA } }, reported: { message: { version: 41, status: 'applied' }, receivedAt: '2026-11-26T08:00:00.000Z' } });
    expect((await api.app.inject({ url: '/api/devices/box-9/model', headers: auth('officer') })).statusCode).toBe(404);

    // Racing announcements never share a version.
    const raced = await Promise.all([1, 2, 3].map(() => announce('box-2', MODEL_BODY)));
    expect(raced.map((r) => r.json().version).sort()).toEqual([1, 2, 3]);
    expect((await retained(broker.url, 'box-2')).version).toBe(3);
  });

  it('serves model files only through a valid, unexpired link', async () => {
    const signer = createModelLinkSigner(testConfig().http);
    const good = signer.sign(SHA, NOW, PUBLIC);
    expect((await download(good)).statusCode).toBe(200);
    expect((await download(good.slice(0, -1) + (good.endsWith('0') ? '1' : '0'))).json()).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect((await download(good.split('?')[0])).statusCode).toBe(403);
    expect((await download(signer.sign(SHA, NOW - 8 * 24 * 3600 * 1000, PUBLIC))).json()).toMatchObject({ code: 'LINK_EXPIRED' });
    // Signed for another file: refused; signed but never uploaded: not found.
    expect((await download(good.replace(SHA, 'd'.repeat(64)))).statusCode).toBe(403);
    expect((await download(signer.sign('d'.repeat(64), NOW, PUBLIC))).statusCode).toBe(404);
    // An evidence link (same secret) for the same hash is no model link.
    const mediaQuery = createMediaSigner(testConfig().http).signMediaUrl(SHA, NOW).split('?')[1];
    expect((await api.app.inject({ url: `/models/${SHA}.onnx?${mediaQuery}` })).json()).toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('checks who announces what to whom', async () => {
    const cases: [string, Record<string, unknown>, number, Record<string, unknown>][] = [
      ['box-1', MODEL_BODY, 403, { code: 'FORBIDDEN' }],
      ['box-1', { ...MODEL_BODY, name: 'resnet_9000' }, 400, { field: 'name' }],
      ['box-1', { ...MODEL_BODY, sha256: SHA.toUpperCase() }, 400, { field: 'sha256' }],
      ['box-1', { ...MODEL_BODY, url: 'https://models.example/x.onnx' }, 400, { field: 'size', error: 'size: is required with url' }],
      ['box-1', { ...MODEL_BODY, url: 'ftp://models.example/x.onnx', size: 5 }, 400, { field: 'url' }],
      ['box-1', { ...MODEL_BODY, size: 12 }, 400, { field: 'size', error: `size: the uploaded file has ${MODEL.length} bytes` }],
      ['box-1', { ...MODEL_BODY, sha256: 'e'.repeat(64) }, 404, { error: expect.stringContaining(`upload it first (PUT /api/models/${'e'.repeat(64)})`) }],
      ['box-9', MODEL_BODY, 404, { error: 'no active device box-9' }],
      ['box-3', MODEL_BODY, 404, { error: 'no active device box-3' }],
    ];
    for (const [i, [deviceId, body, status, error]] of cases.entries()) {
      const res = await announce(deviceId, body, i === 0 ? 'operator' : 'admin');
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toMatchObject(error);
    }
    // Without http.publicUrl the centre cannot link to itself; a file hosted elsewhere is fine.
    expect((await announce('box-1', MODEL_BODY, 'admin', bare.app)).json()).toMatchObject({ field: 'url', error: expect.stringContaining('http.publicUrl') });
    const external = await announce('box-1', { ...MODEL_BODY, url: 'https://models.example/yolox-kerb.onnx?token=1', size: 1234 }, 'admin', bare.app);
    expect(external.json()).toMatchObject({ model: { url: 'https://models.example/yolox-kerb.onnx?token=1', size: 1234 } });
  });

  it('announces to every active box, or to the ones listed', async () => {
    const all = await api.app.inject({ method: 'POST', url: '/api/models/announce', headers: auth('admin'), payload: MODEL_BODY });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['box-1', 'box-2']);
    for (const d of all.json().items as { deviceId: string; version: number }[]) expect((await retained(broker.url, d.deviceId)).version).toBe(d.version);

    const some = await api.app.inject({ method: 'POST', url: '/api/models/announce', headers: auth('admin'), payload: { ...MODEL_BODY, devices: ['box-2'] } });
    expect(some.json()).toMatchObject({ total: 1, items: [{ deviceId: 'box-2', version: 5 }] });
    const revoked = await api.app.inject({ method: 'POST', url: '/api/models/announce', headers: auth('admin'), payload: { ...MODEL_BODY, devices: ['box-3'] } });
    expect(revoked.statusCode).toBe(404);
    expect((await api.app.inject({ method: 'POST', url: '/api/models/announce', headers: auth('operator'), payload: MODEL_BODY })).statusCode).toBe(403);
  });
});

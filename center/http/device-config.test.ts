/**
 * Remote zone edits through the API, against real Redis and a real (embedded) broker: versions
 * only grow, every camera sent so far stays in the retained message, and the box's reports show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retainedDesiredConfig } from '../../test/helpers/retained-config.js';
import { readAudit } from '../audit/audit-log.js';
import type { LiveEvent } from '../live/live-events.js';
import { seedOrder } from './test-store.js';
import { deviceConfigRig, ROOT } from './test-device-config.js';
import { auth, testApi } from './test-app.js';

const ZONE = { id: 'kerb', kind: 'no_parking', polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.4]], dwellSeconds: 60 };
const NOW = Date.parse('2026-11-26T08:00:00.000Z');

describe('device config API', () => {
  const live: LiveEvent[] = [];
  const rig = deviceConfigRig('swcfg', { now: () => NOW, publishLive: (e) => live.push(e) });
  const { redis, prefix, deviceState } = rig;
  let api: ReturnType<typeof testApi>;

  beforeAll(async () => {
    await rig.start();
    api = testApi({ deps: { now: () => NOW, deviceConfig: rig.deviceConfig } });
  });
  afterAll(async () => {
    await api.close();
    await rig.stop();
  });

  const put = (camera: string, zones: unknown, who: 'operator' | 'officer' | 'admin' = 'operator') =>
    api.app.inject({ method: 'PUT', url: `/api/devices/box-1/cameras/${camera}/zones`, headers: auth(who), payload: { zones } });

  it('starts with nothing desired or reported; unknown boxes are 404', async () => {
    expect((await api.app.inject({ url: '/api/devices/box-1/config', headers: auth('officer') })).json()).toEqual({ desired: null, reported: null });
    expect((await api.app.inject({ url: '/api/devices/box-9/config', headers: auth('officer') })).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'PUT', url: '/api/devices/box-9/cameras/cam-1/zones', headers: auth('operator'), payload: { zones: [ZONE] } })).statusCode).toBe(404);
  });

  it('lets operators and admins change zones, not officers, and checks their shape', async () => {
    expect((await put('cam-1', [ZONE], 'officer')).statusCode).toBe(403);
    const few = await put('cam-1', [{ ...ZONE, polygon: [[0, 0], [1, 1]] }]);
    expect(few.statusCode).toBe(400);
    expect(few.json()).toMatchObject({ field: 'zones.0.polygon' });
    expect((await put('cam-1', [{ ...ZONE, polygon: [[0, 0], [1.5, 0], [1, 1]] }])).json()).toMatchObject({ field: 'zones.0.polygon.1.0' });
    expect((await put('cam-1', [ZONE, ZONE])).json()).toMatchObject({ field: 'zones.1.id', error: expect.stringContaining('twice') });
    expect((await put('cam-1', [{ ...ZONE, kind: 'no_smoking' }])).json()).toMatchObject({ field: 'zones.0.kind' });
    expect((await put('cam-1', [{ ...ZONE, colour: 'red' }])).statusCode).toBe(400);
    expect((await put('cam-1', [{ ...ZONE, schedule: [{ days: ['mon'], from: '7:00', to: '20:00' }] }])).json()).toMatchObject({ field: 'zones.0.schedule.0.from' });
    expect((await put('bad/cam', [ZONE])).statusCode).toBe(404);
  });

  it('publishes a retained desired config with every camera sent so far, versions growing', async () => {
    const first = await put('cam-1', [ZONE]);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 1, by: 'olga', issuedAt: '2026-11-26T08:00:00.000Z', config: { cameras: [{ id: 'cam-1', zones: [ZONE] }] } });
    const vending = { id: 'plaza', kind: 'no_vending', polygon: [[0.3, 0.3], [0.8, 0.3], [0.8, 0.6], [0.3, 0.6]], schedule: [{ days: ['mon', 'fri'], from: '07:00', to: '20:00' }] };
    const second = (await put('cam-2', [vending])).json();
    expect(second.version).toBe(2);
    expect(second.config.cameras.map((c: { id: string }) => c.id)).toEqual(['cam-1', 'cam-2']);
    expect(await retainedDesiredConfig(rig.broker.url, ROOT, 'box-1')).toEqual({ v: 1, version: 2, issuedAt: '2026-11-26T08:00:00.000Z', config: second.config });
    expect(live.map((e) => e.kind === 'config_desired' && e.desired.version)).toEqual([1, 2]);
  });

  it('goes past a version the box reports having applied already', async () => {
    await deviceState.recordConfigReported({ v: 1, deviceId: 'box-1', version: 41, status: 'applied', at: '2026-11-26T07:59:00.000Z' }, new Date(NOW));
    const next = (await put('cam-1', [])).json();
    expect(next.version).toBe(42);
    expect(next.config.cameras).toEqual([{ id: 'cam-1', zones: [] }, expect.objectContaining({ id: 'cam-2' })]);
    const view = (await api.app.inject({ url: '/api/devices/box-1/config', headers: auth('officer') })).json();
    expect(view).toMatchObject({ desired: { version: 42 }, reported: { message: { version: 41, status: 'applied' }, receivedAt: '2026-11-26T08:00:00.000Z' } });
  });

  it('carries zone thresholds, and box-wide settings (admins only) merged with the zones', async () => {
    // Everything a box reports for a zone can be sent back: the editor starts from the box's own zones.
    const tuned = { ...ZONE, minConfidence: 0.5, evidenceRepeatSeconds: 45, updateSeconds: 20, leaveGraceSeconds: 8, vehicleClasses: ['car', 'truck'] };
    expect((await put('cam-1', [{ ...tuned, vehicleClasses: [] }])).json()).toMatchObject({ field: 'zones.0.vehicleClasses' });
    expect((await put('cam-1', [{ ...tuned, minConfidence: 1.5 }])).json()).toMatchObject({ field: 'zones.0.minConfidence' });
    const zones = (await put('cam-1', [tuned])).json();
    expect(zones.config.cameras[0]).toEqual({ id: 'cam-1', zones: [tuned] });

    const settings = (payload: unknown, who: 'operator' | 'admin' = 'admin') =>
      api.app.inject({ method: 'PUT', url: '/api/devices/box-1/settings', headers: auth(who), payload: payload as object });
    expect((await settings({ privacy: { blurPlates: false } }, 'operator')).statusCode).toBe(403);
    expect((await settings({})).statusCode).toBe(400);
    expect((await settings({ privacy: { blurFaces: true } })).json()).toMatchObject({ field: 'privacy' });
    expect((await settings({ telemetry: { intervalSeconds: 0 } })).json()).toMatchObject({ field: 'telemetry.intervalSeconds' });
    expect((await settings({ model: { name: 'x' } })).statusCode).toBe(400);

    await settings({ privacy: { blurPlates: false } });
    const both = (await settings({ privacy: { blurPeople: true }, telemetry: { intervalSeconds: 10 } })).json();
    expect(both.version).toBe(zones.version + 2);
    expect(both.config).toMatchObject({ privacy: { blurPlates: false, blurPeople: true }, telemetry: { intervalSeconds: 10 } });
    expect(both.config.cameras[0]).toEqual({ id: 'cam-1', zones: [tuned] });
    expect((await retainedDesiredConfig(rig.broker.url, ROOT, 'box-1')).config).toEqual(both.config);
    // A later zone edit keeps the settings.
    expect((await put('cam-1', [ZONE])).json().config.privacy).toEqual({ blurPlates: false, blurPeople: true });

    // Each change is in the centre's audit log, naming who made it; refused ones are not.
    const audit = await readAudit(redis, prefix, 4);
    expect(audit.map((l) => [l.action, l.subject, l.by, l.detail?.version])).toEqual([
      ['zones.changed', 'box-1/cam-1', 'olga', both.version + 1],
      ['settings.changed', 'box-1', 'ada', both.version],
      ['settings.changed', 'box-1', 'ada', both.version - 1],
      ['zones.changed', 'box-1/cam-1', 'olga', zones.version],
    ]);
    expect(audit[1].detail?.settings).toEqual({ privacy: { blurPeople: true }, telemetry: { intervalSeconds: 10 } });
    expect(audit[0].detail?.zones).toEqual([ZONE.id]);
  });

  it('never hands out one version twice, however many edits race', async () => {
    const res = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((c) => put(`cam-${c}`, [ZONE])));
    const versions = res.map((r) => r.json().version as number).sort((x, y) => x - y);
    expect(new Set(versions).size).toBe(5);
    const last = (await api.app.inject({ url: '/api/devices/box-1/config', headers: auth('admin') })).json().desired;
    expect(last.version).toBe(versions[4]);
    expect(last.config.cameras.map((c: { id: string }) => c.id)).toEqual(['cam-1', 'cam-2', 'cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e']);
  });
});

describe('latest camera photo', () => {
  const { app, store, close } = testApi();
  const SHA = (c: string) => c.repeat(64);
  beforeAll(async () => {
    await seedOrder(store, { discoveredAt: '2026-11-26T08:00:00.000Z', evidence: [{ sha256: SHA('a'), kind: 'full' }, { sha256: SHA('b'), kind: 'crop' }] });
    await seedOrder(store, { discoveredAt: '2026-11-26T09:00:00.000Z', evidence: [{ sha256: SHA('c'), kind: 'plate' }, { sha256: SHA('d'), kind: 'full' }] });
    await seedOrder(store, { discoveredAt: '2026-11-26T10:00:00.000Z', cameraId: 'cam-2', evidence: [{ sha256: SHA('e'), kind: 'full' }] });
  });
  afterAll(() => close());

  it('is the newest whole frame of that camera', async () => {
    const res = await app.inject({ url: '/api/cameras/box-1/cam-1/photo', headers: auth('officer') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sha256: SHA('d'), capturedAt: '2026-11-26T09:00:00.000Z' });
    expect((await app.inject({ url: '/api/cameras/box-1/cam-9/photo', headers: auth('officer') })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/cameras/box-1/cam-1/photo' })).statusCode).toBe(401);
  });
});

describe('console settings', () => {
  const { app, close } = testApi();
  afterAll(() => close());

  it('gives the time zone, SLA, teams, reject reasons and what may be reported by whom, and no secrets', async () => {
    const res = await app.inject({ url: '/api/console/settings', headers: auth('officer') });
    expect(res.json()).toMatchObject({
      timezone: 'Asia/Shanghai',
      sla: { targetMinutes: 40, yellowAt: 0.5, redAt: 1 },
      cameras: [],
      teams: [{ id: 'north', officers: [{ id: 'o-north', name: null, onDuty: true }, { id: 'o-north-2' }] }, { id: 'south' }],
      rejectReasons: ['not_a_violation', 'wrong_class', 'outside_zone', 'duplicate', 'other'],
      reportTypes: ['illegal_parking', 'street_vending', 'obstruction', 'overstay'],
      reporterRoles: ['inspector', 'operator', 'supervisor', 'admin'],
    });
    expect(res.body).not.toMatch(/token|secret/i);
    expect((await app.inject({ url: '/api/console/settings' })).statusCode).toBe(401);
  });
});

/**
 * Exempt plates through the API, against real Redis and a real (embedded) broker: admins edit,
 * operators read, plates are normalised, bad input names its field, every change reaches each
 * active box's desired config (retained), and the audit names the user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceListItem } from '../../contract/index.js';
import { retainedDesiredConfig } from '../../test/helpers/retained-config.js';
import { exemptPlateService } from '../devices/exempt-plate-service.js';
import { ExemptPlateStore } from '../devices/exempt-plate-store.js';
import { auth, DEVICES, testApi } from './test-app.js';
import { deviceConfigRig, ROOT } from './test-device-config.js';

const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const REVOKED: DeviceListItem = { ...DEVICES[0], deviceId: 'box-old', revokedAt: '2026-11-01T00:00:00.000Z' };

describe('exempt plates API', () => {
  const rig = deviceConfigRig('swexemptapi', { now: () => NOW });
  const { redis, prefix, desired } = rig;
  let api: ReturnType<typeof testApi>;
  let service: ReturnType<typeof exemptPlateService>;
  const boxes = [...DEVICES, REVOKED];

  beforeAll(async () => {
    await rig.start();
    const devices = { list: async () => boxes };
    const { deviceConfig } = rig;
    service = exemptPlateService({ store: new ExemptPlateStore(redis, prefix), devices, deviceConfig, desired, now: () => NOW });
    api = testApi({ deps: { now: () => NOW, devices, deviceConfig, exemptPlates: service } });
  });
  afterAll(async () => {
    await api.close();
    await rig.stop();
  });

  const put = (plate: string, payload: object = {}, who: 'operator' | 'admin' = 'admin') =>
    api.app.inject({ method: 'PUT', url: `/api/exempt-plates/${encodeURIComponent(plate)}`, headers: auth(who), payload });
  const list = (who: 'operator' | 'officer' | 'admin' = 'operator') => api.app.inject({ url: '/api/exempt-plates', headers: auth(who) });

  it('lets admins edit and operators read, not officers', async () => {
    expect((await put('AB1234', {}, 'operator')).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'DELETE', url: '/api/exempt-plates/AB1234', headers: auth('operator') })).statusCode).toBe(403);
    expect((await list('officer')).statusCode).toBe(403);
    expect((await api.app.inject({ url: '/api/exempt-plates/audit', headers: auth('officer') })).statusCode).toBe(403);
    expect((await list()).json()).toEqual({ items: [] });
  });

  it('refuses a bad plate, expiry or reason with a 400 naming the field', async () => {
    expect((await put('A')).json()).toMatchObject({ code: 'VALIDATION', field: 'plate' });
    expect((await put('AB/12!')).json()).toMatchObject({ code: 'VALIDATION', field: 'plate' });
    expect((await put('X'.repeat(17))).json()).toMatchObject({ code: 'VALIDATION', field: 'plate' });
    expect((await put('AB1234', { expiresAt: 'tomorrow' })).json()).toMatchObject({ code: 'VALIDATION', field: 'expiresAt' });
    expect((await put('AB1234', { expiresAt: '2026-11-26T07:00:00.000Z' })).json()).toMatchObject({ code: 'VALIDATION', field: 'expiresAt', error: expect.stringContaining('future') });
    expect((await put('AB1234', { reason: 'x'.repeat(201) })).json()).toMatchObject({ code: 'VALIDATION', field: 'reason' });
    expect((await put('AB1234', { colour: 'blue' })).statusCode).toBe(400);
    expect((await list()).json()).toEqual({ items: [] });
  });

  it('stores the plate normalised and sends the list to every active box, not revoked ones', async () => {
    const res = await put('ab·12 34', { reason: 'ambulance', expiresAt: '2027-01-01T00:00:00.000Z' });
    expect(res.statusCode).toBe(200);
    const entry = { plate: 'AB1234', reason: 'ambulance', expiresAt: '2027-01-01T00:00:00.000Z', addedBy: 'ada', addedAt: '2026-11-26T08:00:00.000Z' };
    expect(res.json()).toEqual({ entry, sent: [{ deviceId: 'box-1', version: 1 }] });
    expect((await list()).json()).toEqual({ items: [entry] });

    const wire = [{ plate: 'AB1234', reason: 'ambulance', expiresAt: '2027-01-01T00:00:00.000Z' }];
    expect(await desired.get('box-1')).toMatchObject({ version: 1, by: 'ada', config: { cameras: [], exemptPlates: wire } });
    expect(await desired.get('box-old')).toBeNull();
    expect(await retainedDesiredConfig(rig.broker.url, ROOT, 'box-1')).toEqual({ v: 1, version: 1, issuedAt: '2026-11-26T08:00:00.000Z', config: { cameras: [], exemptPlates: wire } });
  });

  it('bumps the desired config on every change and keeps the zones already sent', async () => {
    const zone = { id: 'kerb', kind: 'no_parking', polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.4]] };
    expect((await api.app.inject({ method: 'PUT', url: '/api/devices/box-1/cameras/cam-1/zones', headers: auth('operator'), payload: { zones: [zone] } })).json()).toMatchObject({ version: 2 });
    expect((await put('zz 99')).json()).toMatchObject({ sent: [{ deviceId: 'box-1', version: 3 }] });
    expect(await desired.get('box-1')).toMatchObject({ version: 3, config: { cameras: [{ id: 'cam-1' }], exemptPlates: [{ plate: 'AB1234' }, { plate: 'ZZ99' }] } });

    const removed = await api.app.inject({ method: 'DELETE', url: '/api/exempt-plates/ab1234', headers: auth('admin') });
    expect(removed.json()).toEqual({ sent: [{ deviceId: 'box-1', version: 4 }] });
    expect((await retainedDesiredConfig(rig.broker.url, ROOT, 'box-1')).config).toEqual({ cameras: [{ id: 'cam-1', zones: [zone] }], exemptPlates: [{ plate: 'ZZ99' }] });
    expect((await api.app.inject({ method: 'DELETE', url: '/api/exempt-plates/AB1234', headers: auth('admin') })).statusCode).toBe(404);
    expect((await desired.get('box-1'))?.version).toBe(4);
  });

  it('keeps an audit trail naming the user, newest first', async () => {
    const res = await api.app.inject({ url: '/api/exempt-plates/audit?limit=10', headers: auth('operator') });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((l: { action: string; plate: string; by: string }) => [l.action, l.plate, l.by])).toEqual([
      ['removed', 'AB1234', 'ada'],
      ['added', 'ZZ99', 'ada'],
      ['added', 'AB1234', 'ada'],
    ]);
    expect((await api.app.inject({ url: '/api/exempt-plates/audit?limit=0', headers: auth('operator') })).json()).toMatchObject({ field: 'limit' });
  });

  it('catches up a box registered after the last change, once, and leaves up-to-date boxes alone', async () => {
    expect(await service.catchUp()).toEqual([]);
    boxes.push({ ...DEVICES[0], deviceId: 'box-new' });
    expect(await service.catchUp()).toEqual([{ deviceId: 'box-new', version: 1 }]);
    expect(await retainedDesiredConfig(rig.broker.url, ROOT, 'box-new')).toMatchObject({ version: 1, config: { exemptPlates: [{ plate: 'ZZ99' }] } });
    expect(await desired.get('box-new')).toMatchObject({ by: 'system:exempt-plates' });
    expect(await service.catchUp()).toEqual([]);
    expect((await desired.get('box-1'))?.version).toBe(4);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { seedOrder } from './test-store.js';
import { auth, testApi } from './test-app.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
const T = (min: number) => new Date(Date.UTC(2026, 10, 26, 8, min)).toISOString();

describe('work-order API', () => {
  const { app, store, close } = testApi();
  const seeded: WorkOrder[] = [];
  beforeAll(async () => {
    seeded.push(
      await seedOrder(store, { discoveredAt: T(0), state: 'dispatched', plate: '苏ED51712', cameraId: 'cam-1' }),
      await seedOrder(store, { discoveredAt: T(1), state: 'accepted', type: 'street_vending', cameraId: 'cam-2' }),
      await seedOrder(store, { discoveredAt: T(2), state: 'pending_review', team: 'south', assignee: null, deviceId: 'box-2' }),
      await seedOrder(store, { discoveredAt: T(3), state: 'resolved', plate: '苏E D5-1712', assignee: 'o-north-2' }),
      await seedOrder(store, { discoveredAt: T(4), state: 'on_site' }),
    );
  });
  afterAll(() => close());

  const list = async (query: string) => {
    const res = await app.inject({ url: `/api/orders${query}`, headers: auth('operator') });
    return { status: res.statusCode, body: res.json() };
  };
  const ids = (body: { items: WorkOrder[] }) => body.items.map((o) => o.id);

  it('lists newest first with total and paging', async () => {
    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 5, offset: 0, limit: 50 });
    expect(ids(all.body)).toEqual([...seeded].reverse().map((o) => o.id));
    const page = await list('?offset=1&limit=2');
    expect(page.body).toMatchObject({ total: 5, offset: 1, limit: 2 });
    expect(ids(page.body)).toEqual([seeded[3].id, seeded[2].id]);
  });

  it('filters by state list, team, type, device, camera, assignee, plate and time', async () => {
    expect(ids((await list('?state=dispatched,on_site')).body)).toEqual([seeded[4].id, seeded[0].id]);
    expect(ids((await list('?team=south')).body)).toEqual([seeded[2].id]);
    expect(ids((await list('?type=street_vending')).body)).toEqual([seeded[1].id]);
    expect(ids((await list('?deviceId=box-2')).body)).toEqual([seeded[2].id]);
    expect(ids((await list('?cameraId=cam-2')).body)).toEqual([seeded[1].id]);
    expect(ids((await list('?assignee=o-north-2')).body)).toEqual([seeded[3].id]);
    expect(ids((await list(`?plate=${encodeURIComponent('苏ED51712')}`)).body)).toEqual([seeded[3].id, seeded[0].id]);
    expect(ids((await list(`?from=${T(1)}&to=2026-11-26T08:03:00Z`)).body)).toEqual([seeded[3].id, seeded[2].id, seeded[1].id]);
  });

  it('signed-in users see the full plate', async () => {
    const res = await app.inject({ url: `/api/orders/${seeded[0].id}`, headers: auth('officer') });
    expect(res.statusCode).toBe(200);
    expect(res.json().plate.text).toBe('苏ED51712');
  });

  it('refuses bad filters and paging, naming the field', async () => {
    expect(await list('?limit=201')).toEqual({ status: 400, body: { error: 'limit: must be at most 200', code: 'VALIDATION', field: 'limit' } });
    expect((await list('?offset=-1')).body.field).toBe('offset');
    expect((await list('?limit=abc')).body.field).toBe('limit');
    const state = await list('?state=dispatched,flying');
    expect(state.status).toBe(400);
    expect(state.body.error).toMatch(/^state: has unknown value "flying"/);
    expect((await list('?type=jaywalking')).body.field).toBe('type');
    expect((await list('?from=yesterday')).body).toMatchObject({ field: 'from', code: 'VALIDATION' });
  });

  it('404 for an unknown order', async () => {
    const res = await app.inject({ url: '/api/orders/01NOPE', headers: auth('admin') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no work order 01NOPE', code: 'NOT_FOUND' });
    const tr = await app.inject({ method: 'POST', url: '/api/orders/01NOPE/transitions', headers: auth('admin'), payload: { to: 'cancelled' } });
    expect(tr.statusCode).toBe(404);
  });

  it('repeat offenders by plate', async () => {
    const res = await app.inject({ url: `/api/orders/by-plate/${encodeURIComponent('苏ED51712')}`, headers: auth('operator') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 2, earlierOrders: 2 });
    expect(ids(res.json())).toEqual([seeded[3].id, seeded[0].id]);
  });

  it('moves an order along legal transitions with a note', async () => {
    const o = await seedOrder(store, { discoveredAt: T(10) });
    const post = (to: string, note?: string) =>
      app.inject({ method: 'POST', url: `/api/orders/${o.id}/transitions`, headers: auth('officer'), payload: { to, ...(note ? { note } : {}) } });
    expect((await post('accepted')).statusCode).toBe(200);
    expect((await post('on_site')).json().state).toBe('on_site');
    const photo = await app.inject({ method: 'POST', url: `/api/orders/${o.id}/photos`, headers: { ...auth('officer'), 'content-type': 'image/jpeg' }, payload: JPEG });
    expect(photo.statusCode).toBe(201);
    const done = await post('resolved', 'ticket issued');
    expect(done.statusCode).toBe(200);
    expect(done.json().audit.at(-1)).toMatchObject({ by: 'nick', from: 'on_site', to: 'resolved', note: 'ticket issued' });
  });

  it('409 with the error message on an illegal transition', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/orders/${seeded[3].id}/transitions`, headers: auth('admin'), payload: { to: 'cancelled' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: `work order ${seeded[3].id} cannot go from resolved to cancelled (only the camera verifies or reopens a resolved order)`, code: 'ILLEGAL_TRANSITION' });
    const skip = await app.inject({ method: 'POST', url: `/api/orders/${seeded[0].id}/transitions`, headers: auth('officer'), payload: { to: 'resolved' } });
    expect(skip.statusCode).toBe(409);
  });

  it('409 when someone else changed the order first', async () => {
    const o = await seedOrder(store, { discoveredAt: T(11) });
    const [a, b] = await Promise.all([
      app.inject({ method: 'POST', url: `/api/orders/${o.id}/transitions`, headers: auth('officer'), payload: { to: 'accepted' } }),
      app.inject({ method: 'POST', url: `/api/orders/${o.id}/transitions`, headers: auth('operator'), payload: { to: 'cancelled' } }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.statusCode === 409)!.json().error).toMatch(/work order/);
  });

  it('validates the transition body', async () => {
    const id = seeded[0].id;
    const bad = await app.inject({ method: 'POST', url: `/api/orders/${id}/transitions`, headers: auth('admin'), payload: { to: 'flying' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'to', code: 'VALIDATION' });
    const none = await app.inject({ method: 'POST', url: `/api/orders/${id}/transitions`, headers: auth('admin') });
    expect(none.json()).toMatchObject({ field: 'to' });
    const json = await app.inject({ method: 'POST', url: `/api/orders/${id}/transitions`, headers: { ...auth('admin'), 'content-type': 'application/json' }, payload: '{"to":' });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({ error: expect.any(String), code: expect.any(String) });
    const confirm = await app.inject({ method: 'POST', url: `/api/orders/${id}/transitions`, headers: auth('admin'), payload: { to: 'dispatched' } });
    expect(confirm.statusCode).toBe(400);
    expect(confirm.json().error).toBe(`to: use POST /api/review/${id}/confirm to move an order to dispatched`);
  });
});

/** The officer app's API: my orders, scene photos, photo before resolving, unable to handle, my live events. */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { LiveHub } from '../live/live-events.js';
import { createLogger } from '../../common/logger.js';
import type { WorkOrder } from '../../ticketing/work-order.js';
import { WebPushService } from '../../ticketing/web-push.js';
import { mineFilter } from './events.js';
import { seedOrder } from './test-store.js';
import { auth, TOKENS, testApi } from './test-app.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
const T = (min: number) => new Date(Date.UTC(2026, 10, 26, 8, min)).toISOString();

describe('officer app API', () => {
  const hub = new LiveHub(createLogger('test'));
  const { app, store, deps, close } = testApi({ deps: (own) => ({ live: hub, push: new WebPushService(own.redis, own.prefix, 'mailto:ops@example.org', createLogger('test')) }) });
  afterAll(() => close());

  const post = (id: string, body: Record<string, unknown>, who: 'officer' | 'southOfficer' | 'admin' | 'operator' = 'officer') =>
    app.inject({ method: 'POST', url: `/api/orders/${id}/transitions`, headers: auth(who), payload: body });
  const photo = (id: string, bytes: Buffer = JPEG, who: 'officer' | 'southOfficer' = 'officer') =>
    app.inject({ method: 'POST', url: `/api/orders/${id}/photos`, headers: { ...auth(who), 'content-type': 'image/jpeg' }, payload: bytes });

  it('assignee=me lists the signed-in officer\'s own orders; 400 for an account without an officer id', async () => {
    const mine = await seedOrder(store, { discoveredAt: T(0), assignee: 'o-north' });
    await seedOrder(store, { discoveredAt: T(1), assignee: 'o-north-2' });
    const res = await app.inject({ url: '/api/orders?assignee=me', headers: auth('officer') });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((o: WorkOrder) => o.id)).toEqual([mine.id]);
    const op = await app.inject({ url: '/api/orders?assignee=me', headers: auth('operator') });
    expect(op.statusCode).toBe(400);
    expect(op.json()).toMatchObject({ code: 'VALIDATION', field: 'assignee' });
  });

  it('stores a scene photo as officer evidence once, refusing non-JPEG bodies, other teams and closed orders', async () => {
    const o = await seedOrder(store, { discoveredAt: T(2), state: 'accepted' });
    const first = await photo(o.id);
    expect(first.statusCode).toBe(201);
    const added = first.json().evidence.filter((e: { kind: string }) => e.kind === 'officer');
    expect(added).toHaveLength(1);
    // Stored in the evidence store, byte for byte.
    expect(readFileSync(deps.evidence.path(added[0].sha256)!)).toEqual(JPEG);
    const again = await photo(o.id);
    expect(again.statusCode).toBe(200);
    expect(again.json().evidence.filter((e: { kind: string }) => e.kind === 'officer')).toHaveLength(1);

    const notJpeg = await photo(o.id, Buffer.from('hello'));
    expect(notJpeg.statusCode).toBe(400);
    expect(notJpeg.json().error).toMatch(/not a JPEG/);
    const wrongType = await app.inject({ method: 'POST', url: `/api/orders/${o.id}/photos`, headers: { ...auth('officer'), 'content-type': 'text/plain' }, payload: 'x' });
    expect(wrongType.statusCode).toBe(415);
    expect((await photo(o.id, JPEG, 'southOfficer')).statusCode).toBe(403);
    const closed = await seedOrder(store, { discoveredAt: T(3), state: 'cancelled' });
    expect((await photo(closed.id)).json()).toMatchObject({ code: 'ORDER_NOT_ACTIVE' });
  });

  it('409 PHOTO_REQUIRED when resolving without a scene photo; resolves once there is one', async () => {
    const o = await seedOrder(store, { discoveredAt: T(4), state: 'on_site' });
    const refused = await post(o.id, { to: 'resolved' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('PHOTO_REQUIRED');
    expect((await store.get(o.id))!.state).toBe('on_site');
    expect((await photo(o.id)).statusCode).toBe(201);
    const done = await post(o.id, { to: 'resolved' });
    expect(done.statusCode).toBe(200);
    expect(done.json().state).toBe('resolved');
  });

  it('unable to handle: needs a reason, is open for the supervisor, and a reassignment dispatches it again', async () => {
    const o = await seedOrder(store, { discoveredAt: T(5), state: 'accepted' });
    const noReason = await post(o.id, { to: 'unable' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ field: 'reason' });
    expect((await post(o.id, { to: 'unable', reason: 'flat_tyre' })).json()).toMatchObject({ field: 'reason' });
    expect((await post(o.id, { to: 'unable', reason: 'no_access' }, 'operator')).statusCode).toBe(403);

    const unable = await post(o.id, { to: 'unable', reason: 'needs_tow_truck', note: 'lorry, 12 t' });
    expect(unable.statusCode).toBe(200);
    expect(unable.json()).toMatchObject({ state: 'unable', unable: { reason: 'needs_tow_truck', note: 'lorry, 12 t', by: 'nick' } });
    expect(unable.json().audit.at(-1)).toMatchObject({ from: 'accepted', to: 'unable', note: 'needs_tow_truck: lorry, 12 t' });
    // Still open: the board's open list has it.
    const open = await app.inject({ url: '/api/orders?state=unable', headers: auth('operator') });
    expect(open.json().items.map((x: WorkOrder) => x.id)).toContain(o.id);
    // The officer cannot pick it up again by themselves.
    expect((await post(o.id, { to: 'on_site' })).statusCode).toBe(409);

    const reassigned = await app.inject({ method: 'POST', url: `/api/orders/${o.id}/assignment`, headers: auth('admin'), payload: { officerId: 'o-north-2' } });
    expect(reassigned.statusCode).toBe(200);
    expect(reassigned.json()).toMatchObject({ state: 'dispatched', assignee: 'o-north-2' });
    expect(reassigned.json().audit.at(-1)).toMatchObject({ from: 'unable', to: 'dispatched' });
  });

  it('unable is reachable from dispatched and on_site, not from closed states', async () => {
    for (const state of ['dispatched', 'on_site'] as const) {
      const o = await seedOrder(store, { discoveredAt: T(6), state });
      expect((await post(o.id, { to: 'unable', reason: 'unsafe' })).json().state).toBe('unable');
    }
    const resolved = await seedOrder(store, { discoveredAt: T(7), state: 'resolved' });
    expect((await post(resolved.id, { to: 'unable', reason: 'other' })).statusCode).toBe(409);
  });

  it('events ?scope=mine streams only the officer\'s orders; 400 for an account without an officer id', async () => {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const op = await fetch(`${base}/api/events?scope=mine`, { headers: { authorization: `Bearer ${TOKENS.operator}` } });
    expect(op.status).toBe(400);
    const res = await fetch(`${base}/api/events?scope=mine`, { headers: { authorization: `Bearer ${TOKENS.officer}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) text += Buffer.from((await reader.read()).value!).toString();
    };
    await read(': hello nick');
    const mine = await seedOrder(store, { discoveredAt: T(8), assignee: 'o-north' });
    const other = await seedOrder(store, { discoveredAt: T(9), assignee: 'o-north-2' });
    hub.emit({ kind: 'device', deviceId: 'box-1', receivedAt: T(9) });
    hub.emit({ kind: 'order', order: other });
    hub.emit({ kind: 'order', order: mine });
    await read(mine.id);
    await reader.cancel();
    expect(text).not.toContain(other.id);
    expect(text).not.toContain('event: device');
  });
});

describe('push subscription routes', () => {
  const { app, redis, prefix, close } = testApi({ deps: (own) => ({ push: new WebPushService(own.redis, own.prefix, 'mailto:ops@example.org', createLogger('test')) }) });
  afterAll(() => close());
  const sub = { endpoint: 'https://push.example.org/send/abc', expirationTime: null, keys: { p256dh: 'BPk1', auth: 'c2VjcmV0' } };

  it('hands out the public key, and keeps an officer\'s browser subscriptions', async () => {
    const key = await app.inject({ url: '/api/push/key', headers: auth('officer') });
    expect(key.statusCode).toBe(200);
    expect(key.json().publicKey).toBe(JSON.parse((await redis.get(`${prefix}:push-vapid`))!).publicKey);

    const add = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: auth('officer'), payload: sub });
    expect(add.statusCode).toBe(204);
    expect(JSON.parse((await redis.hget(`${prefix}:push-subs:o-north`, sub.endpoint))!)).toEqual(sub);
    const bad = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: auth('officer'), payload: { ...sub, endpoint: 'javascript:alert(1)' } });
    expect(bad.json()).toMatchObject({ code: 'VALIDATION', field: 'endpoint' });
    expect((await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: auth('operator'), payload: sub })).statusCode).toBe(403);

    const del = () => app.inject({ method: 'DELETE', url: '/api/push/subscriptions', headers: auth('officer'), payload: { endpoint: sub.endpoint } });
    expect((await del()).statusCode).toBe(204);
    expect(await redis.hlen(`${prefix}:push-subs:o-north`)).toBe(0);
    expect((await del()).statusCode).toBe(404);
  });
});

describe('mineFilter', () => {
  it('passes the officer\'s orders, and one last event when an order stops being theirs', () => {
    const passes = mineFilter('o-1');
    const order = (id: string, assignee: string | null) => ({ kind: 'order' as const, order: { id, assignee } as WorkOrder });
    expect(passes(order('a', 'o-2'))).toBe(false);
    expect(passes(order('a', 'o-1'))).toBe(true);
    expect(passes(order('a', 'o-1'))).toBe(true);
    expect(passes(order('a', 'o-2'))).toBe(true);
    expect(passes(order('a', 'o-2'))).toBe(false);
    expect(passes({ kind: 'device', deviceId: 'box-1', receivedAt: T(0) })).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenMatcher } from './user-directory.js';
import { seedOrder } from './test-store.js';
import { auth, testApi, testConfig, TOKENS } from './test-app.js';

describe('API sign-in and roles', () => {
  const { app, store, close } = testApi();
  let dispatchedNorth: string;
  let pending: string;
  beforeAll(async () => {
    dispatchedNorth = (await seedOrder(store, { discoveredAt: '2026-11-26T08:00:00.000Z', assignee: 'o-north-2' })).id;
    pending = (await seedOrder(store, { state: 'pending_review', discoveredAt: '2026-11-26T08:01:00.000Z' })).id;
  });
  afterAll(() => close());

  it('resolves each token to its user and officer teams', () => {
    const match = tokenMatcher(testConfig());
    expect(match(TOKENS.officer)).toEqual({ name: 'nick', role: 'officer', officerId: 'o-north', teams: ['north'] });
    expect(match(TOKENS.admin)).toMatchObject({ name: 'ada', role: 'admin', teams: [] });
    expect(match('nope-nope-nope-nope')).toBeNull();
  });

  it('401 without a token or with an unknown one, on every read', async () => {
    for (const url of ['/api/orders', '/api/review', '/api/dead-letters', '/api/devices', '/api/kpis', '/metrics', `/api/orders/${pending}`]) {
      const none = await app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.json()).toEqual({ error: expect.stringContaining('Bearer'), code: 'UNAUTHORIZED' });
      expect((await app.inject({ url, headers: { authorization: 'Bearer not-a-real-token-at-all' } })).statusCode, url).toBe(401);
      expect((await app.inject({ url, headers: { authorization: `Basic ${TOKENS.admin}` } })).statusCode, url).toBe(401);
    }
  });

  it('any role reads', async () => {
    for (const who of ['operator', 'officer', 'admin'] as const) {
      expect((await app.inject({ url: '/api/orders', headers: auth(who) })).statusCode).toBe(200);
    }
  });

  it('public routes need no token and ignore a bad one', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/open311/v2/services.json', headers: { authorization: 'Bearer junk' } })).statusCode).toBe(200);
  });

  it('unknown routes answer 404 JSON, not 401', async () => {
    const res = await app.inject({ url: '/api/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('review needs operator or admin', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/review/${pending}/confirm`, headers: auth('officer') });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'confirming a detection needs role operator or supervisor or admin (you are officer)', code: 'FORBIDDEN' });
    expect((await app.inject({ method: 'POST', url: `/api/review/${pending}/confirm` })).statusCode).toBe(401);
    const rej = await app.inject({ method: 'POST', url: `/api/review/${pending}/reject`, headers: auth('officer'), payload: { reason: 'duplicate' } });
    expect(rej.statusCode).toBe(403);
  });

  it('officers move orders forward, operators only cancel', async () => {
    const op = await app.inject({ method: 'POST', url: `/api/orders/${dispatchedNorth}/transitions`, headers: auth('operator'), payload: { to: 'accepted' } });
    expect(op.statusCode).toBe(403);
    expect(op.json().error).toBe('moving a work order to accepted needs role officer or admin (you are operator)');
    const off = await app.inject({ method: 'POST', url: `/api/orders/${dispatchedNorth}/transitions`, headers: auth('officer'), payload: { to: 'cancelled' } });
    expect(off.statusCode).toBe(403);
    expect(off.json().error).toContain('needs role operator or supervisor or admin');
    const selfCleared = await app.inject({ method: 'POST', url: `/api/orders/${dispatchedNorth}/transitions`, headers: auth('operator'), payload: { to: 'self_cleared' } });
    expect(selfCleared.json().error).toContain('needs role admin');
  });

  it('an officer acts only on orders of their own or their team', async () => {
    // Assigned to a team-mate in north: nick (north) may, sam (south) may not.
    const sam = await app.inject({ method: 'POST', url: `/api/orders/${dispatchedNorth}/transitions`, headers: auth('southOfficer'), payload: { to: 'accepted' } });
    expect(sam.statusCode).toBe(403);
    expect(sam.json().error).toBe(`work order ${dispatchedNorth} is not assigned to you or your team`);
    const nick = await app.inject({ method: 'POST', url: `/api/orders/${dispatchedNorth}/transitions`, headers: auth('officer'), payload: { to: 'accepted' } });
    expect(nick.statusCode).toBe(200);
    expect(nick.json()).toMatchObject({ state: 'accepted', audit: expect.arrayContaining([expect.objectContaining({ by: 'nick', to: 'accepted' })]) });
  });

  it('an officer assigned across teams may act on that order', async () => {
    const o = await seedOrder(store, { team: 'north', assignee: 'o-south', discoveredAt: '2026-11-26T08:02:00.000Z' });
    const res = await app.inject({ method: 'POST', url: `/api/orders/${o.id}/transitions`, headers: auth('southOfficer'), payload: { to: 'accepted' } });
    expect(res.statusCode).toBe(200);
  });

  it('admin does everything', async () => {
    const o = await seedOrder(store, { discoveredAt: '2026-11-26T08:03:00.000Z' });
    expect((await app.inject({ method: 'POST', url: `/api/orders/${o.id}/transitions`, headers: auth('admin'), payload: { to: 'self_cleared' } })).statusCode).toBe(200);
    const p = await seedOrder(store, { state: 'pending_review', discoveredAt: '2026-11-26T08:04:00.000Z' });
    expect((await app.inject({ method: 'POST', url: `/api/review/${p.id}/confirm`, headers: auth('admin') })).statusCode).toBe(200);
  });
});

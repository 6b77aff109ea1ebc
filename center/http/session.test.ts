import { afterAll, describe, expect, it } from 'vitest';
import { buildApi } from './server.js';
import { CONSOLE_HEADER } from './auth.js';
import { SESSION_TTL_S } from './session.js';
import { seedOrder } from './test-store.js';
import { auth, testApi, testConfig, TOKENS } from './test-app.js';

const NOW = Date.parse('2026-11-26T08:00:00.000Z');

describe('console sessions', () => {
  let now = NOW;
  const { app, store, deps, close } = testApi({ deps: { now: () => now } });
  afterAll(() => close());

  const signIn = async (token: string, name?: string) =>
    app.inject({ method: 'POST', url: '/api/session', headers: { [CONSOLE_HEADER]: '1' }, payload: { token, ...(name ? { name } : {}) } });
  const cookieOf = (res: Awaited<ReturnType<typeof signIn>>): string => String(res.headers['set-cookie']).split(';')[0];

  it('trades a token for an HttpOnly, SameSite=Strict cookie that signs in the reads', async () => {
    const res = await signIn(TOKENS.operator);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: { name: 'olga', role: 'operator', teams: [] } });
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^sw_session=[A-Za-z0-9_-]+\.[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(set).not.toContain(TOKENS.operator);
    const cookie = cookieOf(res);
    expect((await app.inject({ url: '/api/session', headers: { cookie } })).json()).toEqual({ user: { name: 'olga', role: 'operator', teams: [] } });
    expect((await app.inject({ url: '/api/orders', headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/session' })).statusCode).toBe(401);
  });

  it('refuses an unknown token, or a name that is not the token’s', async () => {
    expect((await signIn('nope-nope-nope-nope-nope')).statusCode).toBe(401);
    expect((await signIn(TOKENS.operator, 'ada')).statusCode).toBe(401);
    expect((await signIn(TOKENS.operator, 'olga')).statusCode).toBe(200);
    expect((await signIn('')).statusCode).toBe(400);
  });

  it('needs the console header on cookie-signed writes (CSRF), not on bearer ones', async () => {
    const cookie = cookieOf(await signIn(TOKENS.operator));
    const a = await seedOrder(store, { state: 'pending_review', discoveredAt: '2026-11-26T07:50:00.000Z', assignee: null });
    const bare = await app.inject({ method: 'POST', url: `/api/review/${a.id}/confirm`, headers: { cookie } });
    expect(bare.statusCode).toBe(403);
    expect(bare.json()).toMatchObject({ code: 'CSRF' });
    expect((await store.get(a.id))!.state).toBe('pending_review');
    const ok = await app.inject({ method: 'POST', url: `/api/review/${a.id}/confirm`, headers: { cookie, [CONSOLE_HEADER]: '1' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().audit.at(-1)).toMatchObject({ by: 'olga', to: 'dispatched' });
    const b = await seedOrder(store, { state: 'pending_review', discoveredAt: '2026-11-26T07:51:00.000Z', assignee: null });
    expect((await app.inject({ method: 'POST', url: `/api/review/${b.id}/confirm`, headers: auth('operator') })).statusCode).toBe(200);
  });

  it('keeps the roles: an officer session cannot confirm', async () => {
    const cookie = cookieOf(await signIn(TOKENS.officer));
    const o = await seedOrder(store, { state: 'pending_review', discoveredAt: '2026-11-26T07:52:00.000Z', assignee: null });
    expect((await app.inject({ method: 'POST', url: `/api/review/${o.id}/confirm`, headers: { cookie, [CONSOLE_HEADER]: '1' } })).statusCode).toBe(403);
  });

  it('ends after its lifetime, and refuses a tampered cookie', async () => {
    const cookie = cookieOf(await signIn(TOKENS.admin));
    now = NOW + (SESSION_TTL_S - 1) * 1000;
    expect((await app.inject({ url: '/api/devices', headers: { cookie } })).statusCode).toBe(200);
    now = NOW + SESSION_TTL_S * 1000;
    expect((await app.inject({ url: '/api/devices', headers: { cookie } })).statusCode).toBe(401);
    now = NOW;
    const [body, mac] = cookie.split('=')[1].split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), n: 'olga' })).toString('base64url');
    expect((await app.inject({ url: '/api/devices', headers: { cookie: `sw_session=${forged}.${mac}` } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/devices', headers: { cookie: 'sw_session=garbage' } })).statusCode).toBe(401);
  });

  it('dies with the token: a rotated token ends the sessions opened with the old one', async () => {
    const cookie = cookieOf(await signIn(TOKENS.operator));
    const cfg = testConfig();
    const rotated = buildApi(deps, { ...cfg, users: cfg.users.map((u) => (u.name === 'olga' ? { ...u, token: 'a-brand-new-operator-token' } : u)) });
    const same = buildApi(deps, cfg);
    try {
      expect((await rotated.inject({ url: '/api/orders', headers: { cookie } })).statusCode).toBe(401);
      expect((await same.inject({ url: '/api/orders', headers: { cookie } })).statusCode).toBe(200);
    } finally {
      await rotated.close();
      await same.close();
    }
  });

  it('signs out by clearing the cookie', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/api/session', headers: { [CONSOLE_HEADER]: '1' } });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/^sw_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
  });
});

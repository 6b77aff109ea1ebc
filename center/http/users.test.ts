import { afterAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADER } from './auth.js';
import { auth, testApi } from './test-app.js';

describe('user administration and API tokens', () => {
  const { app, users, redis, prefix, close } = testApi();
  afterAll(() => close());

  const as = (who: 'admin' | 'operator') => auth(who);
  const signIn = async (name: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/session', headers: { [CONSOLE_HEADER]: '1' }, payload: { name, password } });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('an admin creates a user and gets a one-time password that signs in once changed', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/users', headers: as('admin'), payload: { name: 'li', displayName: 'Officer Li', role: 'officer', officerId: 'o-north', team: 'north' } });
    expect(res.statusCode).toBe(201);
    const { user, oneTimePassword } = res.json();
    expect(user).toMatchObject({ name: 'li', role: 'officer', createdBy: 'ada', mustChangePassword: true });
    expect(user.passwordHash).toBeUndefined();
    const session = await signIn('li', oneTimePassword);
    expect(session.json().user).toMatchObject({ name: 'li', officerId: 'o-north', teams: ['north'], mustChangePassword: true });
  });

  it('refuses bad or clashing users, naming the field', async () => {
    const post = (payload: object) => app.inject({ method: 'POST', url: '/api/users', headers: as('admin'), payload });
    expect((await post({ name: 'li', role: 'operator' })).json()).toMatchObject({ code: 'USER_EXISTS' });
    expect((await post({ name: 'ada', role: 'operator' })).statusCode).toBe(409);
    expect((await post({ name: 'x', role: 'king' })).json()).toMatchObject({ code: 'VALIDATION', field: 'role' });
    expect((await post({ name: 'x', role: 'officer' })).json()).toMatchObject({ field: 'officerId' });
    expect((await post({ name: 'x', role: 'operator', team: 'east' })).json()).toMatchObject({ field: 'team', error: 'team: no team east' });
    expect((await post({ name: 'x', role: 'officer', officerId: 'o-nobody' })).json()).toMatchObject({ field: 'officerId' });
    expect((await app.inject({ method: 'POST', url: '/api/users', headers: as('operator'), payload: { name: 'x', role: 'operator' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/users', headers: as('operator') })).statusCode).toBe(403);
  });

  it('disable, enable, reset and lockout clearing, each audited with the admin\'s name', async () => {
    const { oneTimePassword } = (await app.inject({ method: 'POST', url: '/api/users', headers: as('admin'), payload: { name: 'ola', role: 'operator' } })).json();
    const first = String((await signIn('ola', oneTimePassword)).headers['set-cookie']).split(';')[0];
    const changed = await app.inject({ method: 'POST', url: '/api/me/password', headers: { cookie: first, [CONSOLE_HEADER]: '1' }, payload: { current: oneTimePassword, next: 'her long secret phrase' } });
    const cookie = String(changed.headers['set-cookie']).split(';')[0];
    expect((await app.inject({ url: '/api/orders', headers: { cookie } })).statusCode).toBe(200);

    const disabled = await app.inject({ method: 'POST', url: '/api/users/ola/disable', headers: as('admin') });
    expect(disabled.json()).toMatchObject({ name: 'ola', disabledAt: expect.any(String), lockedUntil: null });
    expect((await app.inject({ url: '/api/orders', headers: { cookie } })).statusCode).toBe(401);
    await app.inject({ method: 'POST', url: '/api/users/ola/enable', headers: as('admin') });
    expect((await signIn('ola', 'her long secret phrase')).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) await signIn('ola', 'a wrong password');
    expect((await signIn('ola', 'her long secret phrase')).statusCode).toBe(429);
    const listed = (await app.inject({ url: '/api/users', headers: as('admin') })).json().items.find((u: { name: string }) => u.name === 'ola');
    expect(Date.parse(listed.lockedUntil)).toBeGreaterThan(Date.now());
    expect((await app.inject({ method: 'DELETE', url: '/api/users/ola/lockout', headers: as('admin') })).json()).toEqual({ cleared: true });
    expect((await signIn('ola', 'her long secret phrase')).statusCode).toBe(200);

    const reset = await app.inject({ method: 'POST', url: '/api/users/ola/reset', headers: as('admin') });
    expect((await signIn('ola', 'her long secret phrase')).statusCode).toBe(401);
    expect((await signIn('ola', reset.json().oneTimePassword)).json().user.mustChangePassword).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/users/ghost/disable', headers: as('admin') })).statusCode).toBe(404);

    const audit = (await app.inject({ url: '/api/audit?limit=10', headers: as('admin') })).json().items as Array<{ action: string; by: string; subject: string }>;
    expect(audit.filter((l) => l.subject === 'ola').map((l) => `${l.action} by ${l.by}`)).toEqual([
      'user.password-reset by ada', 'sign-in-lockout.cleared by ada', 'user.enabled by ada', 'user.disabled by ada', 'user.password-changed by ola', 'user.added by ada',
    ]);
    expect((await app.inject({ url: '/api/audit', headers: as('operator') })).statusCode).toBe(403);
  });

  it('a user creates an API token, shown once and stored hashed; revoking or disabling stops it', async () => {
    await users.accounts.create({ name: 'robo', role: 'operator' }, 'test', 'bot secret phrase 42');
    const cookie = String((await signIn('robo', 'bot secret phrase 42')).headers['set-cookie']).split(';')[0];
    const headers = { cookie, [CONSOLE_HEADER]: '1' };
    const res = await app.inject({ method: 'POST', url: '/api/me/tokens', headers, payload: { label: 'night report' } });
    expect(res.statusCode).toBe(201);
    const { id, token } = res.json();
    expect(token).toMatch(/^swt_[\w-]{43}$/);
    expect((await app.inject({ url: '/api/session', headers: bearer(token) })).json().user).toMatchObject({ name: 'robo', role: 'operator' });
    const list = (await app.inject({ url: '/api/me/tokens', headers })).json();
    expect(list).toEqual({ items: [{ id, label: 'night report', createdAt: expect.any(String) }] });
    const keys = await redis.keys(`${prefix}:api-token*`);
    expect(keys).toHaveLength(2);
    const stored = JSON.stringify(await Promise.all(keys.map((k) => redis.hgetall(k))));
    expect(stored).not.toContain(token);

    await users.accounts.setDisabled('robo', true, 'ada');
    expect((await app.inject({ url: '/api/orders', headers: bearer(token) })).statusCode).toBe(401);
    await users.accounts.setDisabled('robo', false, 'ada');
    expect((await app.inject({ url: '/api/orders', headers: bearer(token) })).statusCode).toBe(200);

    const again = String((await signIn('robo', 'bot secret phrase 42')).headers['set-cookie']).split(';')[0];
    expect((await app.inject({ method: 'DELETE', url: `/api/me/tokens/${id}`, headers: { cookie: again, [CONSOLE_HEADER]: '1' } })).statusCode).toBe(204);
    expect((await app.inject({ url: '/api/orders', headers: bearer(token) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: `/api/me/tokens/${id}`, headers: { cookie: again, [CONSOLE_HEADER]: '1' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/me/tokens', headers: as('admin'), payload: { label: 'x' } })).json()).toMatchObject({ code: 'CONFIG_USER' });
  });

  describe('a shift supervisor, unlike an operator', () => {
    const lockOut = async (name: string) => {
      for (let i = 0; i < 5; i++) await users.limiter.failed(name, '192.0.2.50');
      expect(await users.limiter.lockedUntil(name, Date.now())).not.toBeNull();
    };
    const clear = (name: string, headers: Record<string, string>) => app.inject({ method: 'DELETE', url: `/api/users/${name}/lockout`, headers });
    let supervisor: Record<string, string> = {};
    it('(setup: a stored supervisor with an API token)', async () => {
      await users.accounts.create({ name: 'sue', role: 'supervisor' }, 'test', 'supervises the night shift');
      supervisor = bearer((await users.tokens.create('sue', 'console script', Date.now()))!.token);
    });

    it('reads the audit log (an operator gets 403)', async () => {
      expect((await app.inject({ url: '/api/audit', headers: as('operator') })).json()).toEqual({ error: 'reading the audit log needs role admin or supervisor (you are operator)', code: 'FORBIDDEN' });
      const res = await app.inject({ url: '/api/audit?limit=5', headers: supervisor });
      expect(res.statusCode).toBe(200);
      expect(res.json().items[0]).toMatchObject({ action: 'api-token.created', by: 'sue' });
    });

    it('clears the sign-in lockout of a non-admin, audited with their name (an operator gets 403)', async () => {
      await users.accounts.create({ name: 'otto', role: 'officer', officerId: 'o-north' }, 'test', 'patrols the north kerb');
      await lockOut('otto');
      expect((await clear('otto', as('operator'))).statusCode).toBe(403);
      expect(await users.limiter.lockedUntil('otto', Date.now())).not.toBeNull();
      expect((await clear('otto', supervisor)).json()).toEqual({ cleared: true });
      expect(await users.limiter.lockedUntil('otto', Date.now())).toBeNull();
      expect((await users.audit(1))[0]).toMatchObject({ action: 'sign-in-lockout.cleared', by: 'sue', subject: 'otto' });
    });

    it('does not clear an admin\'s lockout, stored or of the config file (an admin does)', async () => {
      await users.accounts.create({ name: 'root2', role: 'admin' }, 'test', 'second admin password');
      for (const name of ['root2', 'ada']) {
        await lockOut(name);
        const res = await clear(name, supervisor);
        expect(res.statusCode, name).toBe(403);
        expect(res.json()).toEqual({ error: "clearing an admin's sign-in lockout needs role admin", code: 'FORBIDDEN' });
        expect(await users.limiter.lockedUntil(name, Date.now()), name).not.toBeNull();
        expect((await clear(name, as('admin'))).json()).toEqual({ cleared: true });
      }
    });
  });
});

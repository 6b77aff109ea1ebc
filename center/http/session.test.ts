import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './server.js';
import { CONSOLE_HEADER } from './auth.js';
import { seedOrder } from './test-store.js';
import { auth, testApi, testConfig, TOKENS } from './test-app.js';

const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const MIN = 60_000;
const PASSWORD = 'a long enough password';

describe('console sessions', () => {
  let now = NOW;
  const { app, store, deps, users, close } = testApi({ deps: { now: () => now } });
  beforeAll(async () => {
    await users.accounts.create({ name: 'rita', role: 'operator', displayName: 'Rita R', team: 'south' }, 'test', PASSWORD);
    await users.accounts.create({ name: 'max', role: 'supervisor' }, 'test', PASSWORD);
    await users.accounts.create({ name: 'prom', role: 'metrics' }, 'test', PASSWORD);
  });
  afterAll(() => close());

  type Res = Awaited<ReturnType<typeof app.inject>>;
  const post = (url: string, payload: object, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'POST', url, headers: { [CONSOLE_HEADER]: '1', ...headers }, payload, remoteAddress });
  const signIn = (token: string, name?: string) => post('/api/session', { token, ...(name ? { name } : {}) });
  const passwordSignIn = (name: string, password: string, remoteAddress?: string) => post('/api/session', { name, password }, {}, remoteAddress);
  const cookieOf = (res: Res): string => String(res.headers['set-cookie']).split(';')[0];
  const status = async (cookie: string, url = '/api/orders') => (await app.inject({ url, headers: { cookie } })).statusCode;

  it('trades a config user\'s token for an HttpOnly, SameSite=Strict cookie that signs in the reads', async () => {
    const res = await signIn(TOKENS.operator);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: { name: 'olga', role: 'operator', teams: [] } });
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^sw_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(set).not.toContain(TOKENS.operator);
    const cookie = cookieOf(res);
    expect((await app.inject({ url: '/api/session', headers: { cookie } })).json()).toEqual({ user: { name: 'olga', role: 'operator', teams: [] } });
    expect(await status(cookie)).toBe(200);
    expect((await app.inject({ url: '/api/session' })).statusCode).toBe(401);
  });

  it('signs a stored user in with name and password, and refuses a wrong one alike', async () => {
    const res = await passwordSignIn('rita', PASSWORD);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: { name: 'rita', role: 'operator', teams: ['south'], displayName: 'Rita R' } });
    expect(await status(cookieOf(res))).toBe(200);
    const wrong = await passwordSignIn('rita', 'not the password');
    const unknown = await passwordSignIn('nobody', PASSWORD);
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json()).toEqual(unknown.json());
    expect((await passwordSignIn('olga', TOKENS.operator)).json().user).toMatchObject({ name: 'olga' }); // a config user's token as the password
    expect((await passwordSignIn('ada', TOKENS.operator)).statusCode).toBe(401);
    expect((await post('/api/session', { password: PASSWORD })).json()).toMatchObject({ code: 'VALIDATION', field: 'name' });
    expect((await post('/api/session', {})).statusCode).toBe(400);
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

  it('keeps the roles: an officer session cannot confirm, a supervisor can', async () => {
    const o = await seedOrder(store, { state: 'pending_review', discoveredAt: '2026-11-26T07:52:00.000Z', assignee: null });
    const officer = cookieOf(await signIn(TOKENS.officer));
    expect((await app.inject({ method: 'POST', url: `/api/review/${o.id}/confirm`, headers: { cookie: officer, [CONSOLE_HEADER]: '1' } })).statusCode).toBe(403);
    const supervisor = cookieOf(await passwordSignIn('max', PASSWORD));
    const res = await app.inject({ method: 'POST', url: `/api/review/${o.id}/confirm`, headers: { cookie: supervisor, [CONSOLE_HEADER]: '1' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().audit.at(-1)).toMatchObject({ by: 'max' });
  });

  it('the metrics role reads /metrics and nothing else', async () => {
    const cookie = cookieOf(await passwordSignIn('prom', PASSWORD));
    expect(await status(cookie, '/metrics')).toBe(200);
    const res = await app.inject({ url: '/api/orders', headers: { cookie } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'the metrics role may only read /metrics', code: 'FORBIDDEN' });
  });

  it('ends when idle and when too old, however much it is used', async () => {
    now = NOW;
    const cookie = cookieOf(await passwordSignIn('rita', PASSWORD));
    now += 59 * MIN;
    expect(await status(cookie)).toBe(200);
    now += 59 * MIN; // 59 min after its last use
    expect(await status(cookie)).toBe(200);
    now += 60 * MIN;
    expect(await status(cookie)).toBe(401);

    now = NOW;
    const busy = cookieOf(await passwordSignIn('rita', PASSWORD));
    for (let h = 0.5; h < 12; h += 0.5) {
      now = NOW + h * 60 * MIN;
      expect(await status(busy), `${h} h`).toBe(200);
    }
    now = NOW + 12 * 60 * MIN;
    expect(await status(busy)).toBe(401);
    now = NOW;
    expect(await status('sw_session=garbage')).toBe(401);
    expect(await status(`sw_session=${'A'.repeat(43)}`)).toBe(401);
  });

  it('sign-out ends the session on the server, not only the cookie', async () => {
    const cookie = cookieOf(await passwordSignIn('rita', PASSWORD));
    const res = await app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie, [CONSOLE_HEADER]: '1' } });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/^sw_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    expect(await status(cookie)).toBe(401);
  });

  it('a password change signs out everywhere else, and the caller gets a new session', async () => {
    const [a, b] = [cookieOf(await passwordSignIn('max', PASSWORD)), cookieOf(await passwordSignIn('max', PASSWORD))];
    const wrong = await post('/api/me/password', { current: 'not it at all', next: 'a newer long password' }, { cookie: a });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ code: 'PASSWORD_WRONG' });
    const weak = await post('/api/me/password', { current: PASSWORD, next: 'short' }, { cookie: a });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ code: 'PASSWORD_POLICY', error: expect.stringContaining('12 characters') });
    const res = await post('/api/me/password', { current: PASSWORD, next: 'a newer long password' }, { cookie: a });
    expect(res.statusCode).toBe(200);
    expect([await status(a), await status(b), await status(cookieOf(res))]).toEqual([401, 401, 200]);
    expect((await passwordSignIn('max', PASSWORD)).statusCode).toBe(401);
    expect((await passwordSignIn('max', 'a newer long password')).statusCode).toBe(200);
    expect((await post('/api/me/password', { current: TOKENS.admin, next: 'whatever whatever' }, auth('admin'))).json()).toMatchObject({ code: 'CONFIG_USER' });
  });

  it('a one-time password allows nothing but changing it', async () => {
    const { oneTimePassword } = await users.accounts.create({ name: 'newbie', role: 'admin' }, 'test');
    const res = await passwordSignIn('newbie', oneTimePassword!);
    expect(res.json().user).toMatchObject({ name: 'newbie', mustChangePassword: true });
    const cookie = cookieOf(res);
    const refused = await app.inject({ url: '/api/orders', headers: { cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'PASSWORD_CHANGE_REQUIRED' });
    const changed = await post('/api/me/password', { current: oneTimePassword!, next: 'my own long password' }, { cookie });
    expect(changed.json().user.mustChangePassword).toBeUndefined();
    expect(await status(cookieOf(changed))).toBe(200);
  });

  it('disabling a user ends their sessions at once', async () => {
    const cookie = cookieOf(await passwordSignIn('rita', PASSWORD));
    await users.accounts.setDisabled('rita', true, 'ada');
    expect(await status(cookie)).toBe(401);
    expect((await passwordSignIn('rita', PASSWORD)).statusCode).toBe(401);
    await users.accounts.setDisabled('rita', false, 'ada');
    expect(await status(cookie)).toBe(401);
    expect((await passwordSignIn('rita', PASSWORD)).statusCode).toBe(200);
  });

  it('locks a user out after 5 failures, even with the right password, until an admin clears it', async () => {
    for (let i = 0; i < 4; i++) expect((await passwordSignIn('rita', `wrong password ${i}`, '10.0.0.1')).statusCode).toBe(401);
    expect((await passwordSignIn('rita', PASSWORD, '10.0.0.1')).statusCode).toBe(200); // a success forgets the failures
    for (let i = 0; i < 5; i++) expect((await passwordSignIn('rita', `wrong password ${i}`, '10.0.0.2')).statusCode).toBe(401);
    const locked = await passwordSignIn('rita', PASSWORD, '10.0.0.3');
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'SIGN_IN_LOCKED' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    expect((await passwordSignIn('max', 'a newer long password', '10.0.0.3')).statusCode).toBe(200); // others are not
    expect(await users.limiter.lockedUntil('rita', Date.now())).not.toBeNull();
    expect(await users.limiter.clear('user', 'rita', 'test', NOW)).toBe(true);
    expect((await passwordSignIn('rita', PASSWORD, '10.0.0.3')).statusCode).toBe(200);
  });

  it('locks an address out after 20 failures, whatever names it tries', async () => {
    for (let i = 0; i < 20; i++) expect((await passwordSignIn(`guess-${i}`, 'password guess!', '10.9.9.9')).statusCode).toBe(401);
    expect((await passwordSignIn('max', 'a newer long password', '10.9.9.9')).statusCode).toBe(429);
    expect((await signIn(TOKENS.admin)).statusCode).toBe(200); // from elsewhere
    expect((await app.inject({ method: 'DELETE', url: '/api/sign-in-lockouts/10.9.9.9', headers: auth('operator') })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: '/api/sign-in-lockouts/10.9.9.9', headers: auth('admin') })).json()).toEqual({ cleared: true });
    expect((await passwordSignIn('max', 'a newer long password', '10.9.9.9')).statusCode).toBe(200);
  });

  it('dies with the token: a rotated config token ends the sessions opened with the old one', async () => {
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
});

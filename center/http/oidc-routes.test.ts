/**
 * Sign-in through an identity provider, end to end over real HTTP: a real OpenID Connect provider
 * (oidc-provider) and the centre each on a loopback port, Redis for accounts, sessions and flows,
 * and a browser stand-in with a cookie jar that signs in at the provider's form.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../audit/audit-log.js';
import { CONSOLE_HEADER } from './auth.js';
import { testApi } from './test-app.js';
import { Browser, CLIENT_ID, CLIENT_SECRET, freePort, startProvider, type TestProvider } from './test-oidc-provider.js';

const CALLBACK = '/api/session/oidc/callback';
const oidcConfig = (issuer: string) => ({
  issuer,
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  roles: { 'sw-admins': 'admin', 'sw-operators': 'operator', 'sw-officers': 'officer', 'sw-supervisors': 'supervisor' },
  officerIdClaim: 'officer_id',
  teams: { 'crew-south': 'south' },
} as const);

describe('sign-in through the identity provider', () => {
  let provider: TestProvider;
  let centre: ReturnType<typeof testApi>;
  let base = '';
  const logged: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startProvider(`${base}${CALLBACK}`);
    centre = testApi({ http: { publicUrl: base, oidc: oidcConfig(provider.issuer) }, deps: { logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }) } });
    await centre.app.listen({ port, host: '127.0.0.1' });
    const people: Array<[string, Record<string, unknown>]> = [
      ['p-ada', { preferred_username: 'ada.l', name: 'Ada Lovelace', groups: ['sw-operators', 'sw-admins', 'staff'] }],
      ['p-bob', { preferred_username: 'bob', groups: ['staff', 'visitors'] }],
      ['p-rita', { preferred_username: 'rita.r', groups: ['sw-operators', 'crew-south'] }],
      ['p-max', { preferred_username: 'max.m', groups: ['sw-operators'] }],
      ['p-nick', { preferred_username: 'nick.n', groups: ['sw-officers'], officer_id: 'o-north-2' }],
      ['p-nora', { preferred_username: 'nora', groups: ['sw-officers'] }],
      ['p-olga', { preferred_username: 'olga', groups: ['sw-admins'] }],
      ['p-pat', { preferred_username: 'pat', groups: ['sw-admins'] }],
    ];
    for (const [id, claims] of people) provider.people.set(id, claims);
  });
  afterAll(async () => {
    await centre?.close();
    await provider?.close();
  });

  const isConsole = (u: URL) => u.origin === base && u.pathname === '/';
  const isCallback = (u: URL) => u.origin === base && u.pathname === CALLBACK;

  /** A whole sign-in as `login`: where the console is sent, and who GET /api/session says is signed in. */
  async function signIn(login: string, browser = new Browser()) {
    const { res, url } = await browser.walk(`${base}/api/session/oidc`, login, isConsole);
    expect(res.status, 'the callback redirects to the console').toBe(302);
    const landing = new URL(res.headers.get('location')!, url);
    const session = await browser.request(`${base}/api/session`);
    return { browser, error: landing.searchParams.get('signInError'), user: session.status === 200 ? (await session.json()).user : null, status: session.status };
  }

  it('offers the button on the sign-in page', async () => {
    const res = await fetch(`${base}/api/session/options`);
    expect(await res.json()).toEqual({ oidc: { name: 'City SSO', url: '/api/session/oidc' } });
    const off = testApi();
    try {
      expect((await off.app.inject({ url: '/api/session/options' })).json()).toEqual({ oidc: null });
      expect((await off.app.inject({ url: '/api/session/oidc' })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('sends the browser to the provider with PKCE, state and nonce, keeping them server-side behind a Lax cookie', async () => {
    const browser = new Browser();
    const res = await browser.request(`${base}/api/session/oidc`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(provider.issuer);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      client_id: CLIENT_ID, response_type: 'code', redirect_uri: `${base}${CALLBACK}`, scope: 'openid profile email groups', code_challenge_method: 'S256',
      state: expect.stringMatching(/^[\w-]{43}$/), nonce: expect.stringMatching(/^[\w-]{43}$/), code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    });
    const set = res.headers.getSetCookie();
    expect(set).toEqual([expect.stringMatching(/^sw_oidc=[\w-]{43}; Path=\/api\/session\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/)]);
    const stored = await centre.redis.keys(`${centre.prefix}:oidc-flow:*`);
    const values = await Promise.all(stored.map((k) => centre.redis.get(k)));
    expect(values.some((v) => v!.includes(to.searchParams.get('state')!))).toBe(true);
    expect(values.join()).not.toContain(browser.cookie(base, 'sw_oidc')); // kept under a hash of the cookie
  });

  it('signs a user of the admin group in as admin (the highest of their roles), marked as coming from the provider', async () => {
    const { user, error, browser } = await signIn('p-ada');
    expect(error).toBeNull();
    expect(user).toEqual({ name: 'ada.l', role: 'admin', teams: [], displayName: 'Ada Lovelace', oidc: true });
    expect(browser.cookie(base, 'sw_oidc')).toBeUndefined();
    const record = await centre.users.accounts.store.get('ada.l');
    expect(record).toMatchObject({ source: 'oidc', role: 'admin', createdBy: 'oidc', mustChangePassword: false });
    expect(record!.passwordHash).toBeUndefined();
    // The session works for the admin's routes, as a password session would.
    const list = await browser.request(`${base}/api/users`);
    expect(list.status).toBe(200);
    expect((await list.json()).items).toContainEqual(expect.objectContaining({ name: 'ada.l', source: 'oidc' }));
    expect((await readAudit(centre.redis, centre.prefix, 50)).find((l) => l.subject === 'ada.l')).toMatchObject({ action: 'user.added', by: 'oidc', detail: { role: 'admin', source: 'oidc', oidcSubject: 'p-ada' } });
  });

  it('refuses a user in no mapped group: no session, no account, the reason audited', async () => {
    const { user, error, status } = await signIn('p-bob');
    expect(error).toBe('no_role');
    expect([user, status]).toEqual([null, 401]);
    expect(await centre.users.accounts.store.get('bob')).toBeNull();
    const line = (await readAudit(centre.redis, centre.prefix, 50)).find((l) => l.subject === 'bob');
    expect(line).toMatchObject({ action: 'user.oidc-refused', by: 'oidc', detail: { reason: 'no_role', message: expect.stringContaining('staff, visitors') } });
  });

  it('refuses a tampered state, a callback this browser did not begin, and a replayed one', async () => {
    const browser = new Browser();
    const { res, url } = await browser.walk(`${base}/api/session/oidc`, 'p-max', isCallback);
    const callback = new URL(res.headers.get('location')!, url);
    expect(callback.searchParams.get('code')).toBeTruthy();

    const forged = new URL(callback);
    const state = callback.searchParams.get('state')!;
    // A different last character, whatever the real one was.
    forged.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const elsewhere = new Browser(); // an attacker's link opened in someone else's browser
    const answers = [await elsewhere.request(callback.href), await browser.request(forged.href), await browser.request(callback.href)];
    for (const a of answers) {
      expect(a.status).toBe(302);
      expect(a.headers.get('location')).toBe('/?signInError=state');
      expect(a.headers.getSetCookie().some((c) => c.startsWith('sw_session='))).toBe(false);
    }
    expect((await browser.request(`${base}/api/session`)).status).toBe(401);
    expect((await elsewhere.request(`${base}/api/session`)).status).toBe(401);
  });

  it('shows the provider\'s refusal (the user cancelled) as a sign-in error, not an error page', async () => {
    const browser = new Browser();
    const first = await browser.request(`${base}/api/session/oidc`);
    const state = new URL(first.headers.get('location')!).searchParams.get('state')!;
    const res = await browser.request(`${base}${CALLBACK}?error=access_denied&error_description=End-User+aborted&state=${state}&iss=${encodeURIComponent(provider.issuer)}`);
    expect([res.status, res.headers.get('location')]).toEqual([302, '/?signInError=provider']);
  });

  it('keeps a disabled user out: an admin disabling them wins over the provider', async () => {
    const first = await signIn('p-rita');
    expect(first.user).toMatchObject({ name: 'rita.r', role: 'operator', teams: ['south'] });
    await centre.users.accounts.setDisabled('rita.r', true, 'ada');
    expect((await first.browser.request(`${base}/api/session`)).status).toBe(401);
    const again = await signIn('p-rita');
    expect([again.error, again.user]).toEqual(['disabled', null]);
    expect((await centre.users.accounts.store.get('rita.r'))!.disabledAt).toBeDefined();
    await centre.users.accounts.setDisabled('rita.r', false, 'ada');
    expect((await signIn('p-rita')).user).toMatchObject({ name: 'rita.r' });
  });

  it('follows the provider\'s groups: a changed group changes the role at the next sign-in, audited', async () => {
    const first = await signIn('p-max');
    expect(first.user).toMatchObject({ name: 'max.m', role: 'operator' });
    provider.people.set('p-max', { preferred_username: 'max.m', groups: ['sw-supervisors'] });
    expect((await signIn('p-max')).user).toMatchObject({ name: 'max.m', role: 'supervisor' });
    // A session opened before follows the account, not what it was at sign-in.
    expect((await (await first.browser.request(`${base}/api/session`)).json()).user.role).toBe('supervisor');
    provider.people.set('p-max', { preferred_username: 'max.m', groups: [] });
    expect((await signIn('p-max')).error).toBe('no_role');
    expect((await centre.users.accounts.store.get('max.m'))!.role).toBe('supervisor'); // refused before any change
    const lines = (await readAudit(centre.redis, centre.prefix, 100)).filter((l) => l.subject === 'max.m').map((l) => [l.action, l.detail?.role ?? l.detail?.reason]);
    expect(lines).toEqual([['user.oidc-refused', 'no_role'], ['user.oidc-changed', 'supervisor'], ['user.added', 'operator']]);
  });

  it('needs an officer id from the claim for an officer, and one on a roster', async () => {
    expect((await signIn('p-nick')).user).toMatchObject({ name: 'nick.n', role: 'officer', officerId: 'o-north-2', teams: ['north'] });
    expect((await signIn('p-nora')).error).toBe('no_officer_id');
    provider.people.set('p-nora', { preferred_username: 'nora', groups: ['sw-officers'], officer_id: 'o-nowhere' });
    expect((await signIn('p-nora')).error).toBe('no_officer_id');
    expect(await centre.users.accounts.store.get('nora')).toBeNull();
  });

  it('never takes over a password account or a config user of the same name', async () => {
    await centre.users.accounts.create({ name: 'pat', role: 'operator' }, 'test', 'a long enough secret');
    expect((await signIn('p-pat')).error).toBe('password_account');
    expect(await centre.users.accounts.store.get('pat')).toMatchObject({ role: 'operator', source: 'password' });
    expect((await signIn('p-olga')).error).toBe('password_account'); // olga is a user of the config file
  });

  it('refuses a password sign-in and a password reset for a user of the provider', async () => {
    const post = (path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [CONSOLE_HEADER]: '1', ...headers }, body: JSON.stringify(body) });
    expect((await post('/api/session', { name: 'ada.l', password: 'anything at all really' })).status).toBe(401);
    const reset = await post('/api/users/ada.l/reset', {}, { authorization: 'Bearer admin-token-0123456789abc' });
    expect(reset.status).toBe(409);
    expect(await reset.json()).toMatchObject({ code: 'OIDC_USER' });
  });

  it('logs who signed in and why one was refused, never a code, token, cookie or the client secret', async () => {
    const browser = new Browser();
    const { res, url } = await browser.walk(`${base}/api/session/oidc`, 'p-bob', isCallback);
    const callback = new URL(res.headers.get('location')!, url);
    const flow = browser.cookie(base, 'sw_oidc')!;
    expect((await browser.request(callback.href)).headers.get('location')).toBe('/?signInError=no_role');
    await signIn('p-ada');
    const text = logged.join('');
    expect(text).toContain('"reason":"no_role"');
    expect(text).toMatch(/"user":"ada.l","role":"admin".*signed in through the identity provider/);
    for (const secret of [callback.searchParams.get('code')!, flow, CLIENT_SECRET]) expect(text).not.toContain(secret);
  });

  it('sends the browser back with "unavailable" when the provider cannot be reached', async () => {
    const down = testApi({ http: { publicUrl: base, oidc: oidcConfig(`http://127.0.0.1:${await freePort()}`) } });
    try {
      const res = await down.app.inject({ url: '/api/session/oidc' });
      expect([res.statusCode, res.headers.location]).toEqual([302, '/?signInError=unavailable']);
    } finally {
      await down.close();
    }
  });
});

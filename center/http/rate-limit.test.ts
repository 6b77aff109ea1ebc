/**
 * The public routes' rate limits, on the real plugin and Redis: two API instances sharing one
 * Redis share each address's count, as several `--role api` processes do.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildApi } from './server.js';
import { auth, testApi, testConfig } from './test-app.js';

const LIMITS = { publicRequests: 3, signInRequests: 2, windowSeconds: 60 };

describe('rate limits on the public routes, shared through Redis', () => {
  const first = testApi({ http: { rateLimit: { enabled: true, ...LIMITS } } });
  // A second process: its own app, the same Redis and prefix.
  const second = buildApi(first.deps, testConfig({ rateLimit: { enabled: true, ...LIMITS } }));
  afterAll(async () => {
    await second.close();
    await first.close();
  });
  const get = (app: typeof second, url: string, remoteAddress: string, headers: Record<string, string> = {}) => app.inject({ url, remoteAddress, headers });
  const signIn = (app: typeof second, remoteAddress: string) => app.inject({ method: 'POST', url: '/api/session', payload: { token: 'not-a-token-of-anyone' }, remoteAddress });

  it('the second instance refuses once the first used up the address\'s budget: 429, Retry-After, the route\'s error shape (Open311\'s list)', async () => {
    const addr = '203.0.113.7';
    const statuses = [];
    for (let i = 0; i < LIMITS.publicRequests; i++) statuses.push((await get(first.app, '/open311/v2/services.json', addr)).statusCode);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await get(second, '/open311/v2/requests.json', addr);
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LIMITS.windowSeconds);
    expect(refused.json()).toEqual([{ code: 429, description: `too many requests from your address; try again in ${retryAfter} s` }]);
    // Counted in Redis under the centre's prefix, not per process.
    expect(await first.redis.keys(`${first.prefix}:rate-limit:*`)).toEqual([`${first.prefix}:rate-limit:${addr}:public`]);
    // Another address has its own budget.
    expect((await get(second, '/open311/v2/services.json', '203.0.113.8')).statusCode).toBe(200);
  });

  it('counts sign-ins apart, and more tightly', async () => {
    const addr = '203.0.113.20';
    expect([(await signIn(first.app, addr)).statusCode, (await signIn(second, addr)).statusCode]).toEqual([401, 401]);
    const refused = await signIn(first.app, addr);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await get(second, '/open311/v2/services.json', addr)).statusCode).toBe(200);
  });

  it('does not limit signed-in routes, nor /healthz, from an address over its budget', async () => {
    const addr = '203.0.113.30';
    for (let i = 0; i <= LIMITS.publicRequests; i++) await get(first.app, '/open311/v2/services.json', addr);
    expect((await get(second, '/open311/v2/services.json', addr)).statusCode).toBe(429);
    const orders = [];
    for (let i = 0; i < 10; i++) orders.push((await get(i % 2 ? first.app : second, '/api/orders', addr, auth('operator'))).statusCode);
    expect(orders).toEqual(Array(10).fill(200));
    const health = [];
    for (let i = 0; i < 10; i++) health.push((await get(second, '/healthz', addr)).statusCode);
    expect(health).toEqual(Array(10).fill(200));
  });
});

describe('behind a trusted reverse proxy', () => {
  const PROXY = '10.1.2.3';
  const api = testApi({ http: { rateLimit: { enabled: true, ...LIMITS }, trustedProxies: ['10.0.0.0/8'] } });
  afterAll(() => api.close());
  const open311 = (remoteAddress: string, forwardedFor: string) =>
    api.app.inject({ url: '/open311/v2/services.json', remoteAddress, headers: { 'x-forwarded-for': forwardedFor } });

  it('counts each client the proxy names apart, and ignores the header from anyone else', async () => {
    const viaProxy = [];
    for (let i = 0; i < LIMITS.publicRequests; i++) viaProxy.push((await open311(PROXY, '198.51.100.1')).statusCode);
    expect(viaProxy).toEqual([200, 200, 200]);
    expect((await open311(PROXY, '198.51.100.1')).statusCode).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await open311(PROXY, '198.51.100.2')).statusCode).toBe(200);
    expect(await api.redis.keys(`${api.prefix}:rate-limit:198.51.100.*`)).toHaveLength(2);
    // A client that is no proxy cannot pick its address by sending the header.
    const direct = [];
    for (let i = 0; i <= LIMITS.publicRequests; i++) direct.push((await open311('203.0.113.90', `198.51.100.${10 + i}`)).statusCode);
    expect(direct).toEqual([200, 200, 200, 429]);
  });
});

describe('the external broker\'s auth hooks', () => {
  const SECRET = 'broker-secret-0123456789';
  const { app, close } = testApi({
    http: { rateLimit: { enabled: true, ...LIMITS } },
    deps: { brokerAuth: { secret: SECRET, auth: { login: async () => ({ result: 'allow' }), access: async () => ({ result: 'allow' }) } } },
  });
  afterAll(() => close());

  it('are not limited: the broker asks from one address for every device', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 3 * LIMITS.publicRequests; i++) {
      const res = await app.inject({
        method: 'POST', url: '/broker-auth/emqx/authn', remoteAddress: '203.0.113.50',
        headers: { 'content-type': 'application/json', 'x-streetwatch-broker-secret': SECRET },
        payload: { username: 'pole-0001', password: 'x', clientid: 'pole-0001' },
      });
      statuses.add(res.statusCode);
    }
    expect([...statuses]).toEqual([200]);
  });
});

describe('rate limits turned off', () => {
  const { app, close } = testApi({ http: { rateLimit: { enabled: false, ...LIMITS } } });
  afterAll(() => close());

  it('answers every request', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 3 * LIMITS.publicRequests; i++) statuses.add((await app.inject({ url: '/open311/v2/services.json', remoteAddress: '203.0.113.40' })).statusCode);
    expect([...statuses]).toEqual([200]);
  });
});

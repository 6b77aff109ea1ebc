/**
 * The metrics role end to end, over real HTTP and Redis: an admin creates a scraper's account, it
 * changes its one-time password, makes itself an API token, and Prometheus reads /metrics with
 * that token. The token reaches nothing else; an operator's token does not reach /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADER } from './auth.js';
import { PROMETHEUS_CONTENT_TYPE } from './ops.js';
import { TOKENS, testApi } from './test-app.js';

const PASSWORD = 'scrape me every fifteen seconds';

describe('the metrics role: a stored user with an API token', () => {
  const { app, close } = testApi();
  let base = '';
  let token = '';
  beforeAll(async () => {
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => close());

  const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => fetch(`${base}${path}`, init);
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const json = (body: object, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', [CONSOLE_HEADER]: '1', ...headers } });
  const cookieOf = (res: Response) => String(res.headers.get('set-cookie')).split(';')[0];

  it('is created by an admin, changes its one-time password and makes itself a token', async () => {
    const created = await call('/api/users', json({ name: 'prometheus', role: 'metrics' }, bearer(TOKENS.admin)));
    expect(created.status).toBe(201);
    const { oneTimePassword } = (await created.json()) as { oneTimePassword: string };
    const first = await call('/api/session', json({ name: 'prometheus', password: oneTimePassword }));
    expect(first.status).toBe(200);
    const changed = await call('/api/me/password', json({ current: oneTimePassword, next: PASSWORD }, { cookie: cookieOf(first) }));
    expect(changed.status).toBe(200);
    const made = await call('/api/me/tokens', json({ label: 'prometheus scrape' }, { cookie: cookieOf(changed) }));
    expect(made.status).toBe(201);
    token = ((await made.json()) as { token: string }).token;
    expect(token).toMatch(/^swt_/);
  });

  it('reads /metrics with its token: 200, Prometheus text', async () => {
    const res = await call('/metrics', { headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = await res.text();
    expect(text).toContain('streetwatch_orders_open 3\n');
    expect(text).toContain('# TYPE streetwatch_http_requests_total counter\n');
  });

  it('reaches nothing else: 403 on orders, review, devices and the audit log', async () => {
    for (const path of ['/api/orders', '/api/review', '/api/devices', '/api/audit']) {
      const res = await call(path, { headers: bearer(token) });
      expect(res.status, path).toBe(403);
      expect(await res.json(), path).toEqual({ error: 'the metrics role may only read /metrics', code: 'FORBIDDEN' });
    }
  });

  it('an operator\'s token does not read /metrics (403); an admin\'s does', async () => {
    const res = await call('/metrics', { headers: bearer(TOKENS.operator) });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'reading /metrics needs role metrics or admin (you are operator)', code: 'FORBIDDEN' });
    expect((await call('/metrics', { headers: bearer(TOKENS.officer) })).status).toBe(403);
    expect((await call('/metrics', { headers: bearer(TOKENS.admin) })).status).toBe(200);
  });
});

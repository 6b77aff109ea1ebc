/**
 * Every route of the API, with every optional part served, against bad input over a real socket:
 * oversized, malformed and mistyped bodies, absurd query values and bad path parameters. Each
 * answer must be a 4xx with a JSON `{ error, code }` (Open311 routes: the spec's list of
 * `{ code, description }`, in XML for `.xml`) (or a 2xx where the input is in fact acceptable); none may be a 5xx or a dropped connection. Requests go through a client that sends
 * the whole request before reading (send-then-read.ts): a server that closes on unread bytes
 * resets it, which fetch, reading as it writes, may not notice.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.js';
import { sendThenRead, type RawRequest, type RawResponse } from '../../test/helpers/send-then-read.js';
import { ModelFiles } from '../devices/model-files.js';
import { exemptPlateService } from '../devices/exempt-plate-service.js';
import { ExemptPlateStore } from '../devices/exempt-plate-store.js';
import { LiveHub } from '../live/live-events.js';
import { modelService } from '../devices/model-service.js';
import { auth, DEVICES, testApi } from './test-app.js';
import { deviceConfigRig, ROOT } from './test-device-config.js';

const TEN_MB = 10 * 1024 * 1024;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Route {
  method: string;
  url: string;
}

/**
 * Every (method, url) the app serves but HEAD (GET's twin, without a body to check). Fastify lists
 * routes only as printRoutes' tree: each line is a path segment indented 4 characters per level
 * below its parent, with its methods. Each route read is checked with hasRoute.
 */
function listRoutes(app: FastifyInstance): Route[] {
  const parents: string[] = [];
  const routes: Route[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const url = (parents[depth - 1] ?? '') + m[2];
    parents[depth] = url;
    for (const method of m[3]?.split(', ') ?? []) {
      if (method === 'HEAD') continue;
      expect(app.hasRoute({ method, url }), `${method} ${url} read from printRoutes`).toBe(true);
      routes.push({ method, url });
    }
  }
  return routes;
}

/** Path parameters that pass their route's own format, so the request reaches its query and body checks. */
const PLAUSIBLE: Record<string, string> = { sha256: 'a'.repeat(64), file: `${'a'.repeat(64)}.onnx`, deviceId: 'box-1', cameraId: 'cam-1' };
const withParams = (url: string, value?: string) => url.replace(/:(\w+)/g, (_, name: string) => value ?? PLAUSIBLE[name] ?? 'x');

const BAD_PARAMS = ['%zz', '%00', '..', '%2e%2e%2f%2e%2e', '-1', '99999999999999999999999', 'x'.repeat(300), '%F0%9F%92%A9', '%20'];

const PAGED = ['/api/orders', '/api/orders/by-plate/:plate', '/api/review', '/api/dead-letters'];
const ORDERS = ['/api/orders'];
const OPEN311 = ['/open311/v2/requests.json', '/open311/v2/requests.xml'];
/** Routes that take form bodies (Open311 clients POST forms, as the spec has it). */
const FORMS = ['/open311/v2/requests.json', '/open311/v2/requests.xml'];
const KPI_SERIES = ['/api/kpis/series'];

/** Absurd query values, and the routes that take the parameter: those must answer 400, the others may ignore it. */
const BAD_QUERIES: Array<{ query: string; refusedBy: string[] }> = [
  ...['offset=-1', 'offset=-99999999999', 'offset=1.5', 'offset=1e21', 'offset=1&offset=2', 'limit=0', 'limit=1e400', 'limit=99999999999999999999', 'limit=abc']
    .map((query) => ({ query, refusedBy: PAGED })),
  ...['state=,,,,', 'state=', 'from=99999-99-99', 'to=not-a-date', 'from=2026-02-30', 'plate='].map((query) => ({ query, refusedBy: ORDERS })),
  ...['status=,,,,', 'service_code=,,,,', 'service_request_id=,,,,', 'service_request_id=', `service_request_id=${Array.from({ length: 101 }, (_, i) => `id${i}`).join(',')}`,
    `service_request_id=${'x'.repeat(500)}`, 'start_date=0000-00-00', 'end_date=2026-02-30'].map((query) => ({ query, refusedBy: OPEN311 })),
  ...['range=', 'range=1e9d'].map((query) => ({ query, refusedBy: KPI_SERIES })),
  ...['exp=1e400&sig=', 'exp=-1&sig=%zz', '%zz=%zz', 'a[b][c]=1', '__proto__[x]=1', 'team=,,,,'].map((query) => ({ query, refusedBy: [] })),
];

interface BadBody {
  what: string;
  type: string;
  body: string;
  /** The one right answer, where there is one whatever the route. */
  status?: number;
}

const BAD_BODIES: BadBody[] = [
  { what: 'a 10 MB JSON body', type: 'application/json', body: JSON.stringify({ note: 'x'.repeat(TEN_MB) }), status: 413 },
  { what: 'malformed JSON', type: 'application/json', body: '{"to":', status: 400 },
  { what: 'a form body', type: 'application/x-www-form-urlencoded', body: 'to=accepted', status: 415 },
  { what: 'a prototype-poisoning body', type: 'application/json', body: '{"__proto__":{"admin":true}}', status: 400 },
  { what: 'JSON null', type: 'application/json', body: 'null' },
  { what: 'a JSON array', type: 'application/json', body: '[]' },
  { what: 'a JSON string', type: 'application/json', body: '"accepted"' },
  { what: 'an empty JSON body', type: 'application/json', body: '' },
  { what: 'absurd values', type: 'application/json', body: JSON.stringify({ to: 1e308, note: -1, reason: [], token: {}, name: null, zones: ',,,,', devices: [], size: -1, sha256: ',,,,', version: 99999999999999999999 }) },
];

/** The one error shape (errors.ts). */
const ERROR_KEYS = ['error', 'code', 'field'];

/** What is wrong with the outcome of a request with bad input, or null: a dropped connection, a 5xx, a 4xx not in the one JSON error shape, or not the one right status. */
function problemWith(outcome: RawResponse | Error, status?: number, path = ''): string | null {
  if (outcome instanceof Error) return outcome.message;
  const { status: got, headers, body } = outcome;
  if (got >= 500 || (status !== undefined && got !== status)) return `answered ${got}${status === undefined ? '' : `, not ${status}`}: ${body.slice(0, 200)}`;
  if (got < 400) return null;
  if (path.startsWith('/open311/')) return open311ProblemWith(got, headers['content-type'], body, /\.xml(\?|$)/.test(path));
  if (!headers['content-type']?.startsWith('application/json')) return `answered ${got} as ${headers['content-type'] ?? 'no content type'}`;
  const error = JSON.parse(body) as Record<string, unknown>;
  const ours = typeof error.error === 'string' && typeof error.code === 'string' && Object.keys(error).every((k) => ERROR_KEYS.includes(k));
  return ours ? null : `answered ${got} not as { error, code, field? }: ${body.slice(0, 200)}`;
}

/** Open311's error list: `[{ code, description }]`, the code the status; XML `<errors><error>…` for `.xml`. */
function open311ProblemWith(got: number, type: string | undefined, body: string, xml: boolean): string | null {
  if (xml) {
    const ok = type?.startsWith('text/xml') && new RegExp(`^<\\?xml[^>]*\\?><errors><error><code>${got}</code><description>[^<]+</description></error></errors>$`).test(body);
    return ok ? null : `answered ${got} not as the Open311 XML error list: ${body.slice(0, 200)}`;
  }
  if (!type?.startsWith('application/json')) return `answered ${got} as ${type ?? 'no content type'}`;
  const list = JSON.parse(body) as unknown;
  const ok = Array.isArray(list) && list.length === 1 && list[0].code === got && typeof list[0].description === 'string' && Object.keys(list[0]).length === 2;
  return ok ? null : `answered ${got} not as [{ code, description }]: ${body.slice(0, 200)}`;
}

describe('bad input, every route, over a real socket', () => {
  const rig = deviceConfigRig('swbad', { now: Date.now });
  const { redis, prefix, desired, deviceState } = rig;
  const consoleDir = tempDir('sw-bad-input-console-');
  let api: ReturnType<typeof testApi>;
  let port: number;
  let routes: Route[];

  beforeAll(async () => {
    mkdirSync(join(consoleDir, 'assets'));
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>StreetWatch</title>');
    writeFileSync(join(consoleDir, 'assets', 'main-ABC123.js'), 'console.log("the console");');
    await rig.start();
    const { deviceConfig, mqtt } = rig;
    api = testApi({
      deps: {
        live: new LiveHub(pino({ level: 'silent' })),
        deviceConfig,
        models: modelService({ redis, prefix, files: new ModelFiles(tempDir('sw-bad-input-models-')), deviceState, mqtt, root: ROOT, now: Date.now }),
        exemptPlates: exemptPlateService({ store: new ExemptPlateStore(redis, prefix), devices: { list: async () => DEVICES }, deviceConfig, desired, now: Date.now }),
        consoleDir,
      },
      // Room for the sweeps over every public route in both Open311 formats.
      http: { publicUrl: 'http://centre.example:8080', rateLimit: { publicRequests: 10_000 } },
    });
    port = Number(new URL(await api.app.listen({ port: 0, host: '127.0.0.1' })).port);
    routes = listRoutes(api.app);
  });
  afterAll(async () => {
    await api.close();
    await rig.stop();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  /** Sends each request (as admin), checks each answer; the failures, named by request. */
  async function sweep(cases: Array<{ req: RawRequest; status?: number; what?: string }>): Promise<string[]> {
    const failures: string[] = [];
    for (const { req, status, what } of cases) {
      const outcome = await sendThenRead(port, { ...req, headers: { ...auth('admin'), ...req.headers } }).catch((err: Error) => err);
      const problem = problemWith(outcome, status, req.path);
      if (problem) failures.push(`${req.method} ${req.path.slice(0, 120)}${what ? ` with ${what}` : ''}: ${problem}`);
    }
    return failures;
  }

  it('finds every route, the optional ones included', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    for (const r of ['GET /healthz', 'POST /api/orders/:id/transitions', 'GET /open311/v2/requests.json', 'GET /api/events', 'PUT /api/devices/:deviceId/cameras/:cameraId/zones', 'PUT /api/models/:sha256', 'PUT /api/exempt-plates/:plate', 'GET /']) {
      expect(names).toContain(r);
    }
  });

  it('answers an oversized, malformed or mistyped body with 413, 400 or 415, having read it; other bad bodies with a 4xx, or a 2xx where the route ignores its body', async () => {
    const bodyRoutes = routes.filter((r) => BODY_METHODS.has(r.method));
    expect(bodyRoutes.length).toBeGreaterThanOrEqual(8);
    const cases = bodyRoutes.flatMap((r) => BAD_BODIES.map((b) => ({
      req: { method: r.method, path: withParams(r.url), headers: { 'content-type': b.type }, body: b.body },
      // A form is what the Open311 POST takes: refused for its fields, not its type.
      status: b.status === 415 && FORMS.includes(r.url) ? 400 : b.status,
      what: b.what,
    })));
    expect(await sweep(cases)).toEqual([]);
  });

  it('answers absurd query values with a 400 where the route takes the parameter, and never with a 5xx', async () => {
    const cases = routes.filter((r) => r.method === 'GET').flatMap((r) => BAD_QUERIES.map(({ query, refusedBy }) => ({
      req: { method: 'GET', path: `${withParams(r.url)}?${query}` },
      status: refusedBy.includes(r.url) ? 400 : undefined,
    })));
    expect(await sweep(cases)).toEqual([]);
  });

  it('answers bad path parameters with a 4xx (a 2xx where the value is in fact acceptable)', async () => {
    const withParam = routes.filter((r) => r.url.includes(':'));
    expect(withParam.length).toBeGreaterThanOrEqual(10);
    const body = (r: Route) => (BODY_METHODS.has(r.method) ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {});
    const cases = withParam.flatMap((r) => BAD_PARAMS.map((p) => ({ req: { method: r.method, path: withParams(r.url, p), ...body(r) } })));
    expect(await sweep(cases)).toEqual([]);
  });
});

/**
 * GET /api/openapi.json against the app that serves it: a valid OpenAPI 3.1 document naming every
 * route with its path parameters, security as auth.ts enforces it, references that resolve; and
 * what it says a route accepts is what the route's schema validates.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { RouteOptions } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectVersion } from '../../common/paths.js';
import { tempDir } from '../../test/fixtures.js';
import type { ExternalAuth } from '../../broker/external-auth.js';
import type { DeviceConfigService, ExemptPlateService } from './deps.js';
import { LiveHub } from '../live/live-events.js';
import type { ModelService } from '../devices/model-service.js';
import { auth, testApi } from './test-app.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: { maximum?: number } }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, { enum?: string[] }> } }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

interface Document {
  openapi: string;
  info: { title: string; version: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, string>> };
}

/** A service the routes are built with but no request here reaches: each one stops at auth or at its link check. */
const unreached = <T extends object>(): T =>
  new Proxy({} as T, {
    get: (_target, key) => {
      throw new Error(`${String(key)} was used`);
    },
  });

/** Path parameters that pass their route's own format. */
const PLAUSIBLE: Record<string, string> = { sha256: 'a'.repeat(64), file: `${'a'.repeat(64)}.onnx`, deviceId: 'box-1', cameraId: 'cam-1' };
const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => PLAUSIBLE[name] ?? 'x');

/** Every $ref in `value`. */
function refs(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

describe('the OpenAPI document', () => {
  const consoleDir = tempDir('sw-openapi-console-');
  mkdirSync(join(consoleDir, 'assets'));
  writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>StreetWatch</title>');
  writeFileSync(join(consoleDir, 'assets', 'main-ABC123.js'), 'console.log("the console");');
  const api = testApi({
    deps: {
      live: new LiveHub(pino({ level: 'silent' })),
      deviceConfig: unreached<DeviceConfigService>(),
      models: unreached<ModelService>(),
      exemptPlates: unreached<ExemptPlateService>(),
      brokerAuth: { secret: 'broker-secret-0123456789', auth: unreached<ExternalAuth>() },
      consoleDir,
    },
  });
  // buildApi adds its routes once the swagger plugin has loaded, which is after this hook is in.
  const routes: RouteOptions[] = [];
  api.app.addHook('onRoute', (route) => void routes.push(route));
  let doc: Document;
  let operations: Array<{ path: string; method: string; op: Operation }>;

  beforeAll(async () => {
    const res = await api.app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
    operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
  });
  afterAll(async () => {
    await api.close();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  it('is valid OpenAPI 3.1, named and versioned as the centre', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'StreetWatch centre API', version: projectVersion() });
    const validator = new Validator();
    expect(await validator.validate(doc as unknown as Record<string, unknown>)).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
  });

  it('has every route but HEAD and the console files, with its method, path parameters, summary and declared tags', () => {
    const documented = routes.filter((r) => r.method !== 'HEAD' && !r.schema?.hide);
    const hidden = routes.filter((r) => r.schema?.hide).map((r) => r.url);
    expect(hidden).toEqual(expect.arrayContaining(['/', '/assets/main-ABC123.js']));
    expect(documented.map((r) => `${String(r.method)} ${r.url}`)).toEqual(expect.arrayContaining(['GET /api/events', 'PUT /api/models/:sha256', 'GET /open311/v2/requests/:id.json', 'GET /api/openapi.json']));
    expect(operations).toHaveLength(documented.length);
    const tags = doc.tags.map((t) => t.name);
    for (const route of documented) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[String(route.method).toLowerCase()];
      expect(op, `${String(route.method)} ${route.url}`).toBeDefined();
      expect(op.summary, path).toBeTruthy();
      expect(op.tags?.length, path).toBeGreaterThan(0);
      for (const tag of op.tags ?? []) expect(tags, path).toContain(tag);
      const inPath = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const params = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(params.map((p) => p.name).sort(), path).toEqual(inPath.sort());
      for (const p of params) expect(p.required, `${path} ${p.name}`).toBe(true);
    }
    for (const { op } of operations.filter((o) => o.path.startsWith('/open311/'))) expect(op.tags).toEqual(['open311']);
  });

  it('asks for a token or session on exactly the routes that refuse a request without one', async () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      session: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'sw_session' }),
      brokerSecret: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-streetwatch-broker-secret' }),
      brokerSecretQuery: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'secret' }),
    });
    const wrong: string[] = [];
    for (const { path, method, op } of operations) {
      const body = ['post', 'put'].includes(method) ? { payload: {} } : {};
      const res = await api.app.inject({ method: method.toUpperCase() as 'GET', url: fill(path), ...body });
      const secured = (op.security ?? []).length > 0;
      if (secured !== (res.statusCode === 401)) wrong.push(`${method} ${path}: security ${JSON.stringify(op.security)}, answered ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
    expect(operations.filter((o) => o.op.security?.length).map((o) => o.op.security)).not.toContainEqual([]);
    const open = operations.filter((o) => o.op.security?.length === 0).map((o) => `${o.method} ${o.path}`);
    expect(open).toEqual(expect.arrayContaining(['get /healthz', 'get /api/openapi.json', 'get /open311/v2/requests.json', 'get /media/{sha256}', 'post /api/session']));
  });

  it('refers only to schemas it has, the work order and the error shape among them, and to none it does not use', () => {
    const names = Object.keys(doc.components.schemas);
    for (const ref of refs(doc)) expect(names).toContain(ref.replace('#/components/schemas/', ''));
    expect(names).toEqual(expect.arrayContaining(['WorkOrder', 'OrderEvidenceRef', 'PlateRead', 'NormBox', 'Error', 'Open311ServiceRequest']));
    // The MQTT contract's messages are named schemas too, but no route answers one.
    expect(names).not.toContain('Detection');
    const orders = doc.paths['/api/orders'].get.responses['200'].content!['application/json'].schema;
    expect(refs(orders)).toEqual(['#/components/schemas/WorkOrder']);
    expect(doc.paths['/api/orders/{id}'].get.responses['4XX'].content!['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    // "My reports": the reporter filter is documented, with the one value it takes.
    const reporter = doc.paths['/api/orders'].get.parameters!.find((p) => p.name === 'reporter') as { in: string; description?: string; schema: { const?: string; enum?: string[] } } | undefined;
    expect(reporter).toMatchObject({ in: 'query', description: expect.stringContaining('signed-in user') });
    expect(reporter!.schema.const ?? reporter!.schema.enum?.[0]).toBe('me');
  });

  it('documents what the routes validate: a value past the documented bound is a 400 naming the field', async () => {
    const limit = doc.paths['/api/orders'].get.parameters!.find((p) => p.name === 'limit')!.schema.maximum!;
    expect((await api.app.inject({ url: `/api/orders?limit=${limit}`, headers: auth('operator') })).statusCode).toBe(200);
    const over = await api.app.inject({ url: `/api/orders?limit=${limit + 1}`, headers: auth('operator') });
    expect(over.statusCode).toBe(400);
    expect(over.json()).toEqual({ error: `limit: must be at most ${limit}`, code: 'VALIDATION', field: 'limit' });

    const states = doc.paths['/api/orders/{id}/transitions'].post.requestBody!.content['application/json'].schema.properties!.to.enum!;
    expect(states).not.toContain('flying');
    const bad = await api.app.inject({ method: 'POST', url: '/api/orders/x/transitions', headers: auth('admin'), payload: { to: 'flying' } });
    expect(bad.json()).toMatchObject({ code: 'VALIDATION', field: 'to' });

    const param = await api.app.inject({ url: '/api/cameras/box-1/cam%201/photo', headers: auth('operator') });
    expect(param.statusCode).toBe(400);
    expect(param.json()).toMatchObject({ code: 'VALIDATION', field: 'cameraId' });
  });

  it('checks the role before the input, so a caller who may not write is told that, not how to fix the request', async () => {
    const res = await api.app.inject({ method: 'PUT', url: '/api/devices/box-1/settings', headers: auth('operator'), payload: { privacy: 'none' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
  });
});

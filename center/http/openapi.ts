/**
 * The API as an OpenAPI 3.1 document, generated from the routes' own zod schemas: @fastify/swagger
 * collects every route as it is added, fastify-type-provider-zod turns its schemas into JSON
 * Schema. What the document says a route accepts is therefore what the route validates. Served,
 * public, at `GET /api/openapi.json`.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONSOLE_HEADER } from './auth.js';
import { BROKER_SECRET_HEADER, BROKER_SECRET_QUERY } from './broker-auth.js';
import { ERROR_SCHEMA_ID } from './errors.js';
import { SESSION_COOKIE } from './session.js';

/** Either credential will do on every route that is not public (auth.ts). */
const SIGNED_IN: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];
/** The broker's routes take the shared secret in either place (broker-auth.ts). */
const BROKER: Array<Record<string, string[]>> = [{ brokerSecret: [] }, { brokerSecretQuery: [] }];

const TAGS = [
  { name: 'orders', description: 'Work orders: lists, one order, repeat offenders, state transitions' },
  { name: 'review', description: 'The operator\'s review queue of detections below the auto-confirm threshold' },
  { name: 'devices', description: 'Edge boxes: registry state, camera photos, remote zones and settings, models' },
  { name: 'models', description: 'Over-the-air model files' },
  { name: 'exempt-plates', description: 'Plates no parking rule applies to, kept by the centre and sent to every box' },
  { name: 'evidence', description: 'Evidence photos, by token or by signed link' },
  { name: 'kpis', description: 'SLA and throughput figures' },
  { name: 'users', description: 'User accounts kept by the centre, sign-in lockouts, the audit log' },
  { name: 'console', description: 'What the console needs: sign-in, settings, the live stream' },
  { name: 'ops', description: 'Health, metrics, refused messages, this document' },
  { name: 'broker', description: 'Device login and ACL checks an external MQTT broker calls (EMQX 5, Mosquitto with mosquitto-go-auth); served when `mqtt.httpAuth` is set' },
  { name: 'open311', description: 'Open311 GeoReport v2, public and read-only (https://wiki.open311.org/GeoReport_v2/)' },
];

const SCHEMA_REF = '#/components/schemas/';

/**
 * A response that is not JSON, for a route's `response`. The schema is `unknown` so that the route
 * may send a string or a stream, neither of which is ever serialised; the document says string.
 */
export const rawResponse = (contentType: string, description: string) => ({ description, content: { [contentType]: { schema: z.unknown().meta({ type: 'string' }) } } });

const ERROR_RESPONSE = { description: 'The error', content: { 'application/json': { schema: { $ref: `${SCHEMA_REF}${ERROR_SCHEMA_ID}` } } } };

/** The document with every operation's 4xx and 5xx answers: the one error shape (errors.ts), whatever the route. */
function withErrorResponses<D extends object>(doc: D): D {
  const { paths = {} } = doc as { paths?: Record<string, Record<string, { responses?: object }>> };
  const withErrors = (operations: Record<string, { responses?: object }>) =>
    Object.fromEntries(Object.entries(operations).map(([method, op]) => [method, { ...op, responses: { ...op.responses, '4XX': ERROR_RESPONSE, '5XX': ERROR_RESPONSE } }]));
  return { ...doc, paths: Object.fromEntries(Object.entries(paths).map(([url, operations]) => [url, withErrors(operations)])) };
}

/**
 * The document with only the component schemas it refers to, directly or through each other: the
 * zod registry the components come from holds every named schema of the project, the MQTT
 * contract's messages too.
 */
function withoutUnusedSchemas<D extends object>(doc: D): D {
  const { components = {} } = doc as { components?: { schemas?: Record<string, unknown> } };
  const schemas = components.schemas ?? {};
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      const name = key === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF) ? v.slice(SCHEMA_REF.length) : null;
      if (name === null) visit(v);
      else if (!used.has(name)) {
        used.add(name);
        visit(schemas[name]);
      }
    }
  };
  visit({ ...doc, components: { ...components, schemas: {} } });
  return { ...doc, components: { ...components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) } };
}

export function openApiOptions(version: string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'StreetWatch centre API',
        version,
        description: 'The command centre\'s HTTP API: work orders and their review, edge boxes, evidence, KPIs, the console\'s own routes and a public Open311 GeoReport v2 view. Errors are JSON `{ error, code, field? }`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A user\'s API token: one they created (POST /api/me/tokens), or a config user\'s (`users[].token`); the user\'s role decides what they may change.' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description: `The console's session, opened by POST /api/session. Writes signed in this way also need the \`${CONSOLE_HEADER}: 1\` header.`,
          },
          brokerSecret: { type: 'apiKey', in: 'header', name: BROKER_SECRET_HEADER, description: 'The broker routes\' shared secret, `mqtt.httpAuth.secret`.' },
          brokerSecretQuery: { type: 'apiKey', in: 'query', name: BROKER_SECRET_QUERY, description: 'The same secret, for brokers that cannot send headers (mosquitto-go-auth).' },
        },
      },
      tags: TAGS,
    },
    // Security follows from the `public` and `brokerAuth` flags the hooks enforce, rather than being declared again in each route.
    transform: ({ schema, route, ...rest }) => jsonSchemaTransform({ ...rest, route, schema: schema && { ...schema, security: route.config?.brokerAuth ? BROKER : route.config?.public ? [] : SIGNED_IN } }),
    transformObject: (doc) => withoutUnusedSchemas(withErrorResponses(jsonSchemaTransformObject(doc))),
  };
}

export function openApiRoutes(app: FastifyInstance): void {
  app.get('/api/openapi.json', { config: { public: true }, schema: { summary: 'This document', tags: ['ops'] } }, async () => app.swagger());
}

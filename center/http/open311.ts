/**
 * Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/): public reads of confirmed orders,
 * and service requests POSTed by the clients of `open311.clients` (one API key each). Every route
 * answers JSON (`.json`) or XML (`.xml`); errors come as the spec's list (errors.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { violationType, type ViolationType } from '../../contract/index.js';
import type { Open311Client } from '../config.js';
import { isPublicPhoto, mediaPath, open311Service, serviceList, serviceRequest, serviceRequestOptions, toServiceRequest } from '../../ticketing/open311-request.js';
import type { OrderFilter } from '../../ticketing/store-types.js';
import { ORDER_STATES, OPEN_STATES, type OrderState, type WorkOrder } from '../../ticketing/work-order.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, notFound } from './errors.js';
import { sendPhoto } from './evidence.js';
import { OPEN311_FORMATS, XML_TYPE, xmlDocument, type Open311Format } from './open311-format.js';
import { rawResponse } from './openapi.js';
import { commaList, formField, formText, idList, isoDate, latitude, longitude, parseForm, uploadedFile } from './validate.js';

/** The spec's defaults: at most 1000 requests, from the past 90 days unless dates are given. */
const MAX_REQUESTS = 1000;
const DEFAULT_WINDOW_MS = 90 * 24 * 3600 * 1000;
const MAX_IDS = 100;
/** A public photo may stop being public (an order rejected on review): caches keep it only briefly. */
const MEDIA_MAX_AGE_S = 300;

const requestsQuery = z.object({
  service_request_id: idList(MAX_IDS).optional(),
  status: commaList(['open', 'closed'] as const).optional(),
  service_code: commaList(violationType.options as [ViolationType, ...ViolationType[]]).optional(),
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
});
const idParam = z.object({ id: z.string().min(1).max(64) });
const mediaParams = z.object({ id: z.string().min(1).max(64), evidenceId: z.string().min(1).max(64) });


/** The spec's fields (others, such as `attribute[…]`, are ignored); `plate` is ours. */
export const postRequestBody = z
  .object({
    api_key: z.string({ error: 'is required' }).min(1, 'is required'),
    jurisdiction_id: formText(200),
    service_code: violationType,
    lat: formField(latitude),
    long: formField(longitude),
    address_string: formText(300),
    description: formText(4000),
    media_url: formField(z.string().url('must be a URL').max(2000)),
    media: z.unknown().optional().meta({ description: 'A JPEG photo, as a multipart/form-data upload' }),
    email: formField(z.string().email('must be an email address').max(200)),
    first_name: formText(100),
    last_name: formText(100),
    phone: formText(40),
    plate: formText(20),
  })
  .superRefine((b, ctx) => {
    if ((b.lat === undefined) !== (b.long === undefined)) ctx.addIssue({ code: 'custom', path: [b.lat === undefined ? 'lat' : 'long'], message: 'give lat and long together' });
    if (b.lat === undefined && !b.address_string) ctx.addIssue({ code: 'custom', path: ['lat'], message: 'give lat and long, or address_string' });
  });
type PostRequestBody = z.output<typeof postRequestBody>;

const postAnswer = z.array(z.object({ service_request_id: z.string(), service_notice: z.string() }));

const discovery = z.object({
  changeset: z.string(),
  contact: z.string(),
  key_service: z.string(),
  endpoints: z.array(z.object({ specification: z.string(), url: z.string(), changeset: z.string(), type: z.string(), formats: z.array(z.string()) })),
});

/**
 * The public sees confirmed problems only: a detection or report waiting for review may be a false
 * alarm, and a rejected one was one.
 */
const NOT_PUBLIC: readonly OrderState[] = ['pending_review', 'rejected'];
const isPublic = (o: WorkOrder): boolean => !NOT_PUBLIC.includes(o.state);

function stateFilter(status: Array<'open' | 'closed'> | undefined): NonNullable<OrderFilter['state']> {
  const open = status?.includes('open') ?? true;
  const closed = status?.includes('closed') ?? true;
  return ORDER_STATES.filter((s) => !NOT_PUBLIC.includes(s) && (OPEN_STATES.includes(s) ? open : closed));
}

/** Keys compared by their hashes in constant time, so neither a key nor its length leaks through timing. */
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
function clientByKey(clients: readonly Open311Client[], key: unknown): Open311Client | null {
  if (typeof key !== 'string' || !key) return null;
  const d = digest(key);
  return clients.find((c) => timingSafeEqual(digest(c.apiKey), d)) ?? null;
}

/** The JSON answer as is, or its XML document under the spec's root element. */
function answer(reply: FastifyReply, format: Open311Format, root: string, value: Parameters<typeof xmlDocument>[1]) {
  if (format === 'json') return value;
  return reply.type(XML_TYPE).send(xmlDocument(root, value));
}

const xmlResponse = { 200: rawResponse('text/xml', 'The same answer as the `.json` route, in the spec\'s XML') };

export function open311Routes(app: ApiApp, ctx: ApiContext): void {
  // Its own scope: Open311 clients POST forms, as the spec has it; the rest of the API takes JSON.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseForm);
    routes(scope.withTypeProvider<ZodTypeProvider>(), ctx);
  });
}

function routes(app: ApiApp, ctx: ApiContext): void {
  const { store, maskPlate } = ctx.deps;
  const { open311, teams } = ctx.config;
  // Public data meant for third-party sites and apps, so any origin may read it.
  const pub = { config: { public: true }, onRequest: async (_req: FastifyRequest, reply: FastifyReply) => void reply.header('Access-Control-Allow-Origin', '*') };
  const requests = z.array(serviceRequest);
  const baseOf = (req: FastifyRequest) => (ctx.config.http.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
  const present = (req: FastifyRequest) => {
    const opts = serviceRequestOptions(teams, baseOf(req), maskPlate);
    return (o: WorkOrder) => toServiceRequest(o, opts);
  };

  for (const format of OPEN311_FORMATS) {
    const json = <T>(schema: T) => (format === 'json' ? { 200: schema } : xmlResponse);

    app.get(`/open311/v2/discovery.${format}`, {
      ...pub,
      schema: { summary: 'Where the endpoint is and what it speaks', tags: ['open311'], response: json(discovery) },
    }, async (req, reply) => answer(reply, format, 'discovery', {
      changeset: '2026-12-01T00:00:00Z',
      contact: open311.contact ?? '',
      key_service: 'Ask the city for an API key (open311.clients)',
      endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${baseOf(req)}/open311/v2`, changeset: '2026-12-01T00:00:00Z', type: 'production', formats: ['text/xml', 'application/json'] }],
    }));

    app.get(`/open311/v2/services.${format}`, {
      ...pub,
      schema: { summary: 'The services: one per violation type', tags: ['open311'], response: json(z.array(open311Service)) },
    }, async (_req, reply) => answer(reply, format, 'services', serviceList()));

    app.get(`/open311/v2/requests.${format}`, {
      ...pub,
      schema: {
        summary: 'Service requests: confirmed work orders, plates masked',
        description: 'At most 1000, from the past 90 days unless `start_date` or `end_date` is given; `service_request_id` (a comma list) overrides every other argument.',
        tags: ['open311'],
        querystring: requestsQuery,
        response: json(requests),
      },
    }, async (req, reply) => {
      const q = req.query;
      const toRequest = present(req);
      // Per the spec, explicit ids override every other argument.
      if (q.service_request_id) {
        const orders = await Promise.all(q.service_request_id.map((id) => store.get(id)));
        return answer(reply, format, 'service_requests', orders.filter((o): o is WorkOrder => o !== null && isPublic(o)).map(toRequest));
      }
      const from = q.start_date ?? (q.end_date ? undefined : new Date(ctx.now() - DEFAULT_WINDOW_MS).toISOString());
      const type = q.service_code && new Set(q.service_code).size === 1 ? q.service_code[0] : undefined;
      const state = stateFilter(q.status);
      const filter: OrderFilter = { ...(type ? { type } : {}), state, ...(from ? { from } : {}), ...(q.end_date ? { to: q.end_date } : {}) };
      const { items } = await store.list(filter, { offset: 0, limit: MAX_REQUESTS });
      return answer(reply, format, 'service_requests', items.map(toRequest));
    });

    // The spec answers a single request as a list of one.
    app.get(`/open311/v2/requests/:id.${format}`, {
      ...pub,
      schema: { summary: 'One service request, as a list of one', tags: ['open311'], params: idParam, response: json(requests) },
    }, async (req, reply) => {
      const { id } = req.params;
      const order = await store.get(id);
      if (!order || !isPublic(order)) throw notFound(`no service request ${id}`);
      return answer(reply, format, 'service_requests', [present(req)(order)]);
    });

    app.post(`/open311/v2/requests.${format}`, {
      config: {
        public: true,
        // Counted per client (once the body names its key), apart from the other public routes.
        rateLimit: {
          hook: 'preHandler',
          keyGenerator: (req: FastifyRequest) => `open311:${clientByKey(open311.clients, (req.body as { api_key?: unknown } | undefined)?.api_key)?.id ?? req.ip}`,
          max: async (req: FastifyRequest) => clientByKey(open311.clients, (req.body as { api_key?: unknown } | undefined)?.api_key)?.requestsPerWindow ?? ctx.config.http.rateLimit.publicRequests,
          timeWindow: ctx.config.http.rateLimit.windowSeconds * 1000,
        },
      },
      schema: {
        summary: 'Report a problem (an Open311 client with its api_key)',
        description:
          'Form fields (application/x-www-form-urlencoded, multipart/form-data with a JPEG `media`, or JSON). A report near an open order of the same type (`reports.radiusMeters`, `reports.windowMinutes`, the same plate if given) joins it and answers its id. The client is called back on every change of the order.',
        tags: ['open311'],
        body: postRequestBody,
        response: format === 'json' ? { 201: postAnswer } : { 201: xmlResponse[200] },
      },
    }, async (req, reply) => {
      const client = clientByKey(open311.clients, req.body.api_key);
      if (!client) throw new ApiError(403, 'FORBIDDEN', 'api_key: not a key of any Open311 client');
      const { jurisdiction_id: jurisdiction } = req.body;
      if (jurisdiction && open311.jurisdictionId && jurisdiction !== open311.jurisdictionId) {
        throw new ApiError(404, 'NOT_FOUND', `jurisdiction_id: this endpoint serves ${open311.jurisdictionId} only`);
      }
      if (!ctx.deps.reports) throw new ApiError(503, 'UNAVAILABLE', 'this centre takes no reports');
      const { order, created } = await ctx.deps.reports.submit(submission(req.body, client));
      req.log.info({ orderId: order.id, client: client.id, created }, 'Open311 report');
      const notice = created ? 'Received: a new request.' : 'Received: the problem was already reported; your report joined that request.';
      reply.code(201);
      return answer(reply, format, 'service_requests', [{ service_request_id: order.id, service_notice: notice }]);
    });
  }

  // A lasting public link: no secret in it; the order must be public and the photo one the public may see.
  app.get('/open311/v2/media/:id/:evidenceId.jpg', {
    ...pub,
    schema: { summary: 'A photo of a service request (`media_url`)', tags: ['open311'], params: mediaParams, response: { 200: rawResponse('image/jpeg', 'The photo') } },
  }, async (req, reply) => {
    const { id, evidenceId } = req.params;
    const order = await store.get(id);
    const photo = order && isPublic(order) ? order.evidence.find((e) => e.evidenceId === evidenceId && isPublicPhoto(e)) : undefined;
    if (!photo) throw notFound(`no photo ${mediaPath(id, evidenceId)}`);
    return sendPhoto(ctx, req, reply, photo.sha256, MEDIA_MAX_AGE_S);
  });

  function submission(b: PostRequestBody, client: Open311Client) {
    const photo = uploadedFile(b.media, 'media');
    const contact = { email: b.email, firstName: b.first_name, lastName: b.last_name, phone: b.phone };
    return {
      source: 'open311' as const,
      clientId: client.id,
      type: b.service_code,
      description: b.description ?? '',
      contact: Object.fromEntries(Object.entries(contact).filter(([, v]) => v !== undefined)),
      location: b.lat !== undefined && b.long !== undefined ? { lat: b.lat, long: b.long, ...(b.address_string ? { address: b.address_string } : {}) } : null,
      ...(b.address_string ? { address: b.address_string } : {}),
      ...(b.plate ? { plate: b.plate } : {}),
      ...(b.media_url ? { mediaUrl: b.media_url } : {}),
      ...(photo ? { photo } : {}),
      confirmed: client.autoConfirm,
    };
  }
}

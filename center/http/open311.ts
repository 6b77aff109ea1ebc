/** Open311 GeoReport v2, read-only and public (https://wiki.open311.org/GeoReport_v2/). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { violationType, type ViolationType } from '../../contract/index.js';
import type { OrderFilter } from '../../ticketing/store-types.js';
import { ORDER_STATES, OPEN_STATES, type OrderState, type WorkOrder } from '../../ticketing/work-order.js';
import type { ApiApp, ApiContext } from './context.js';
import { notFound } from './errors.js';
import { open311Service, serviceList, serviceRequest, toServiceRequest } from './open311-map.js';
import { commaList, idList, isoDate } from './validate.js';

/** The spec's defaults: at most 1000 requests, from the past 90 days unless dates are given. */
const MAX_REQUESTS = 1000;
const DEFAULT_WINDOW_MS = 90 * 24 * 3600 * 1000;
const MAX_IDS = 100;

const requestsQuery = z.object({
  service_request_id: idList(MAX_IDS).optional(),
  status: commaList(['open', 'closed'] as const).optional(),
  service_code: commaList(violationType.options as [ViolationType, ...ViolationType[]]).optional(),
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
});
const idParam = z.object({ id: z.string().min(1).max(64) });

/**
 * The public sees confirmed problems only: a detection waiting for review may be a false alarm, and
 * a rejected one was one.
 */
const NOT_PUBLIC: readonly OrderState[] = ['pending_review', 'rejected'];
const isPublic = (o: WorkOrder): boolean => !NOT_PUBLIC.includes(o.state);

function stateFilter(status: Array<'open' | 'closed'> | undefined): NonNullable<OrderFilter['state']> {
  const open = status?.includes('open') ?? true;
  const closed = status?.includes('closed') ?? true;
  return ORDER_STATES.filter((s) => !NOT_PUBLIC.includes(s) && (OPEN_STATES.includes(s) ? open : closed));
}

export function open311Routes(app: ApiApp, ctx: ApiContext): void {
  const { store, maskPlate } = ctx.deps;
  // Public data meant for third-party sites and apps, so any origin may read it.
  const pub = { config: { public: true }, onRequest: async (_req: FastifyRequest, reply: FastifyReply) => void reply.header('Access-Control-Allow-Origin', '*') };
  const requests = z.array(serviceRequest);

  const present = (req: FastifyRequest) => {
    const nowMs = ctx.now();
    const base = ctx.config.http.publicUrl ?? `${req.protocol}://${req.host}`;
    return (o: WorkOrder) => toServiceRequest(o, { maskPlate, mediaUrl: (sha) => ctx.signer.signMediaUrl(sha, nowMs, base) });
  };

  app.get('/open311/v2/services.json', {
    ...pub,
    schema: { summary: 'The services: one per violation type', tags: ['open311'], response: { 200: z.array(open311Service) } },
  }, async () => serviceList());

  app.get('/open311/v2/requests.json', {
    ...pub,
    schema: {
      summary: 'Service requests: confirmed work orders, plates masked',
      description: 'At most 1000, from the past 90 days unless `start_date` or `end_date` is given; `service_request_id` (a comma list) overrides every other argument.',
      tags: ['open311'],
      querystring: requestsQuery,
      response: { 200: requests },
    },
  }, async (req) => {
    const q = req.query;
    const toRequest = present(req);
    // Per the spec, explicit ids override every other argument.
    if (q.service_request_id) {
      const orders = await Promise.all(q.service_request_id.map((id) => store.get(id)));
      return orders.filter((o): o is WorkOrder => o !== null && isPublic(o)).map(toRequest);
    }
    const from = q.start_date ?? (q.end_date ? undefined : new Date(ctx.now() - DEFAULT_WINDOW_MS).toISOString());
    const type = q.service_code && new Set(q.service_code).size === 1 ? q.service_code[0] : undefined;
    const state = stateFilter(q.status);
    const filter: OrderFilter = { ...(type ? { type } : {}), state, ...(from ? { from } : {}), ...(q.end_date ? { to: q.end_date } : {}) };
    const { items } = await store.list(filter, { offset: 0, limit: MAX_REQUESTS });
    return items.map(toRequest);
  });

  // The spec answers a single request as an array with one item.
  app.get('/open311/v2/requests/:id.json', {
    ...pub,
    schema: { summary: 'One service request, as a list of one', tags: ['open311'], params: idParam, response: { 200: requests } },
  }, async (req) => {
    const { id } = req.params;
    const order = await store.get(id);
    if (!order || !isPublic(order)) throw notFound(`no service request ${id}`);
    return [present(req)(order)];
  });
}

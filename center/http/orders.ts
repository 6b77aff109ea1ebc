/** Work orders: list with filters, one order, repeat offenders by plate, and state transitions. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { violationType } from '../../contract/index.js';
import type { Role } from '../config.js';
import type { OrderFilter } from '../../ticketing/store-types.js';
import { ORDER_STATES, orderState, type OrderState, type WorkOrder } from '../../ticketing/work-order.js';
import { userOf } from './auth.js';
import type { ApiContext } from './context.js';
import type { ApiUser } from './deps.js';
import { badRequest, forbidden, notFound } from './errors.js';
import { commaList, isoDate, paging, parse } from './validate.js';

const text = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

const listQuery = z.object({
  state: commaList(ORDER_STATES).optional(),
  team: text.optional(),
  type: violationType.optional(),
  deviceId: text.optional(),
  cameraId: text.optional(),
  assignee: text.optional(),
  plate: text.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  ...paging,
});

const idParam = z.object({ id: text });
const plateParam = z.object({ plate: text });
const pageQuery = z.object(paging);
const transitionBody = z.object({ to: orderState, note: z.string().max(1000, 'must be at most 1000 characters').optional() });

/**
 * Who may move an order where. Confirming (→ dispatched) and rejecting need the review endpoints:
 * a rejection carries a reason, and both belong to the operator's review flow.
 */
const MOVERS: Partial<Record<OrderState, readonly Role[]>> = {
  accepted: ['officer', 'admin'],
  on_site: ['officer', 'admin'],
  resolved: ['officer', 'admin'],
  cancelled: ['operator', 'admin'],
  self_cleared: ['admin'],
  pending_review: ['admin'],
};
const REVIEW_ROUTE: Partial<Record<OrderState, string>> = { dispatched: 'confirm', rejected: 'reject' };

/** Officers act only on orders assigned to them or to a team whose roster lists them. */
function assertOfficerScope(user: ApiUser, order: WorkOrder): void {
  if (user.role !== 'officer') return;
  if (order.assignee !== null && order.assignee === user.officerId) return;
  if (user.teams.includes(order.team)) return;
  throw forbidden(`work order ${order.id} is not assigned to you or your team`);
}

export async function getOrder(ctx: ApiContext, id: string): Promise<WorkOrder> {
  const order = await ctx.deps.store.get(id);
  if (!order) throw notFound(`no work order ${id}`);
  return order;
}

export function ordersRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store, actions } = ctx.deps;

  app.get('/api/orders', async (req) => {
    const { offset, limit, ...filter } = parse(listQuery, req.query, 'query');
    // Drop absent filters so the store never sees `key: undefined`.
    const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as OrderFilter;
    const res = await store.list(defined, { offset, limit });
    return { items: res.items, total: res.total, offset, limit };
  });

  app.get('/api/orders/by-plate/:plate', async (req) => {
    const { plate } = parse(plateParam, req.params, 'params');
    const { offset, limit } = parse(pageQuery, req.query, 'query');
    const [res, earlierOrders] = await Promise.all([store.list({ plate }, { offset, limit }), store.countByPlate(plate)]);
    return { items: res.items, total: res.total, offset, limit, earlierOrders };
  });

  app.get('/api/orders/:id', async (req) => getOrder(ctx, parse(idParam, req.params, 'params').id));

  app.post('/api/orders/:id/transitions', async (req) => {
    const { id } = parse(idParam, req.params, 'params');
    const { to, note } = parse(transitionBody, req.body);
    const review = REVIEW_ROUTE[to];
    if (review) throw badRequest(`to: use POST /api/review/${id}/${review} to move an order to ${to}`, 'to');
    const user = userOf(req, MOVERS[to] ?? [], `moving a work order to ${to}`);
    assertOfficerScope(user, await getOrder(ctx, id));
    return actions.transition(id, to, user, note);
  });
}

/** Work orders: list with filters, one order, repeat offenders by plate, state transitions and reassignment. */
import { z } from 'zod';
import { violationType } from '../../contract/index.js';
import type { Role } from '../config.js';
import type { OrderFilter } from '../../ticketing/store-types.js';
import { hasOfficerPhoto, ORDER_STATES, orderState, UNABLE_REASONS, workOrderSchema, type OrderState, type WorkOrder } from '../../ticketing/work-order.js';
import { requireRole, signedIn, userOf } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import type { ApiUser } from './deps.js';
import { REPORTERS } from './reports.js';
import { ApiError, badRequest, forbidden, notFound } from './errors.js';
import { commaList, isoDate, paging } from './validate.js';

const text = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

const listQuery = z.object({
  state: commaList(ORDER_STATES).optional(),
  team: text.optional(),
  type: violationType.optional(),
  deviceId: text.optional(),
  cameraId: text.optional(),
  assignee: text.optional().describe('An officer id, or `me`: the signed-in officer\'s own orders.'),
  plate: text.optional(),
  reporter: z.literal('me').optional().describe('`me`: the orders holding reports the signed-in user sent (roles that may report; newest discovery first).'),
  from: isoDate.optional(),
  to: isoDate.optional(),
  ...paging,
});

const idParam = z.object({ id: text });
const plateParam = z.object({ plate: text });
const pageQuery = z.object(paging);
const note = z.string().max(1000, 'must be at most 1000 characters').optional();
const transitionBody = z.object({
  to: orderState,
  note,
  reason: z.enum(UNABLE_REASONS).optional().describe('Why the officer cannot handle it; required with `to: unable`.'),
});
const assignmentBody = z
  .object({
    team: text.optional().describe('The team to hand it to; default its own.'),
    officerId: text.optional().describe("One of that team's officers; default the least loaded (once confirmed)."),
    note,
  })
  .refine((b) => b.team !== undefined || b.officerId !== undefined, { message: 'give team, officerId or both', path: ['officerId'] });

/** Shift supervisors move work between officers and teams; operators do not. */
const REASSIGNERS: readonly Role[] = ['supervisor', 'admin'];

/** A page of work orders, as the order lists answer. */
export const orderPage = z.object({ items: z.array(workOrderSchema), total: z.number().int(), offset: z.number().int(), limit: z.number().int() });

/**
 * Who may move an order where. Confirming (→ dispatched) and rejecting need the review endpoints:
 * a rejection carries a reason, and both belong to the operator's review flow.
 */
const MOVERS: Partial<Record<OrderState, readonly Role[]>> = {
  accepted: ['officer', 'admin'],
  on_site: ['officer', 'admin'],
  resolved: ['officer', 'admin'],
  unable: ['officer', 'admin'],
  cancelled: ['operator', 'supervisor', 'admin'],
  self_cleared: ['admin'],
  pending_review: ['admin'],
};
const REVIEW_ROUTE: Partial<Record<OrderState, string>> = { dispatched: 'confirm', rejected: 'reject' };

/** Officers act only on orders assigned to them or to a team whose roster lists them. */
export function assertOfficerScope(user: ApiUser, order: WorkOrder): void {
  if (user.role !== 'officer') return;
  if (order.assignee !== null && order.assignee === user.officerId) return;
  if (user.teams.includes(order.team)) return;
  throw forbidden(`work order ${order.id} is not assigned to you or your team`);
}

/** `assignee=me`: only an officer has orders of their own. */
function myOfficerId(user: ApiUser): string {
  if (!user.officerId) throw badRequest(`assignee: \`me\` needs an officer's account (${user.name} has no officer id)`, 'assignee');
  return user.officerId;
}

export async function getOrder(ctx: ApiContext, id: string): Promise<WorkOrder> {
  const order = await ctx.deps.store.get(id);
  if (!order) throw notFound(`no work order ${id}`);
  return order;
}

export function ordersRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store, actions } = ctx.deps;

  app.get('/api/orders', {
    schema: { summary: 'List work orders, newest first', description: '`state` takes a comma list; `from` and `to` bound the discovery time.', tags: ['orders'], querystring: listQuery, response: { 200: orderPage } },
  }, async (req) => {
    const { offset, limit, ...query } = req.query;
    const filter = {
      ...query,
      ...(query.assignee === 'me' ? { assignee: myOfficerId(signedIn(req)) } : {}),
      ...(query.reporter === 'me' ? { reporter: userOf(req, REPORTERS, 'reporter=me').name } : {}),
    };
    // Drop absent filters so the store never sees `key: undefined`.
    const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as OrderFilter;
    const res = await store.list(defined, { offset, limit });
    return { items: res.items, total: res.total, offset, limit };
  });

  app.get('/api/orders/by-plate/:plate', {
    schema: {
      summary: 'Work orders for one plate',
      tags: ['orders'],
      params: plateParam,
      querystring: pageQuery,
      response: { 200: orderPage.extend({ earlierOrders: z.number().int().meta({ description: 'Every order the plate ever had' }) }) },
    },
  }, async (req) => {
    const { plate } = req.params;
    const { offset, limit } = req.query;
    const [res, earlierOrders] = await Promise.all([store.list({ plate }, { offset, limit }), store.countByPlate(plate)]);
    return { items: res.items, total: res.total, offset, limit, earlierOrders };
  });

  app.get('/api/orders/:id', { schema: { summary: 'One work order', tags: ['orders'], params: idParam, response: { 200: workOrderSchema } } }, async (req) => getOrder(ctx, req.params.id));

  app.post('/api/orders/:id/transitions', {
    schema: {
      summary: 'Move a work order to another state',
      description: 'Officers (on their own or their team\'s orders) accept, arrive and resolve; operators cancel; admins may do all of these. Confirming and rejecting go through /api/review.',
      tags: ['orders'],
      params: idParam,
      body: transitionBody,
      response: { 200: workOrderSchema },
    },
  }, async (req) => {
    const { id } = req.params;
    const { to, note, reason } = req.body;
    const review = REVIEW_ROUTE[to];
    if (review) throw badRequest(`to: use POST /api/review/${id}/${review} to move an order to ${to}`, 'to');
    if (to === 'unable' && !reason) throw badRequest(`reason: say why the order cannot be handled (${UNABLE_REASONS.join(', ')})`, 'reason');
    const user = userOf(req, MOVERS[to] ?? [], `moving a work order to ${to}`);
    const order = await getOrder(ctx, id);
    assertOfficerScope(user, order);
    if (to === 'unable') return actions.unable(id, user, reason!, note);
    // The officer's own photo of the scene is the record that it was handled.
    if (to === 'resolved' && order.state === 'on_site' && !hasOfficerPhoto(order)) {
      throw new ApiError(409, 'PHOTO_REQUIRED', `work order ${id}: take at least one photo of the scene (POST /api/orders/${id}/photos) before resolving it`);
    }
    return actions.transition(id, to, user, note);
  });

  app.post('/api/orders/:id/assignment', {
    preValidation: requireRole(REASSIGNERS, 'reassigning a work order'),
    schema: {
      summary: 'Hand an open work order to another officer or team',
      description: 'Supervisors and admins. The state stays; the trail names who moved it, from whom to whom. The new team is sent the order. An order waiting for review changes team only (confirming picks its officer). 409 once closed.',
      tags: ['orders'],
      params: idParam,
      body: assignmentBody,
      response: { 200: workOrderSchema },
    },
  }, async (req) => {
    const order = await getOrder(ctx, req.params.id);
    const { officerId, note } = req.body;
    const team = req.body.team ?? order.team;
    const teamCfg = ctx.config.teams.find((t) => t.id === team);
    if (!teamCfg) throw badRequest(`team: no team ${team}`, 'team');
    if (officerId !== undefined && !teamCfg.officers.some((o) => o.id === officerId)) throw badRequest(`officerId: ${officerId} is not an officer of ${team}`, 'officerId');
    if (officerId !== undefined && order.state === 'pending_review') throw new ApiError(409, 'NOT_CONFIRMED', `work order ${order.id} waits for review: confirm it first, or change only its team`);
    return actions.reassign(order.id, { team, ...(officerId !== undefined ? { assignee: officerId } : {}) }, signedIn(req), note);
  });
}

/** The operator's review queue: detections below the auto-confirm threshold, oldest first. */
import { z } from 'zod';
import type { Role } from '../config.js';
import { REJECT_REASONS, workOrderSchema } from '../../ticketing/work-order.js';
import { requireRole, signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { getOrder, orderPage } from './orders.js';
import { paging } from './validate.js';

const REVIEWERS: readonly Role[] = ['operator', 'supervisor', 'admin'];

const idParam = z.object({ id: z.string().min(1).max(64) });
const rejectBody = z
  .object({
    reason: z.enum(REJECT_REASONS, { error: `must be one of ${REJECT_REASONS.join(', ')}` }),
    note: z.string().trim().max(1000, 'must be at most 1000 characters').optional(),
  })
  .superRefine((b, ctx) => {
    if (b.reason === 'other' && !b.note) ctx.addIssue({ code: 'custom', path: ['note'], message: 'is required when reason is other' });
  });

export function reviewRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store, actions } = ctx.deps;

  // The store lists newest first; read the mirrored page from the far end and reverse it.
  app.get('/api/review', {
    schema: { summary: 'Detections waiting for review, oldest first', tags: ['review'], querystring: z.object(paging), response: { 200: orderPage } },
  }, async (req) => {
    const { offset, limit } = req.query;
    const filter = { state: ['pending_review' as const] };
    const { total } = await store.list(filter, { offset: 0, limit: 1 });
    const from = Math.max(0, total - offset - limit);
    const count = Math.min(limit, total - offset);
    if (count <= 0) return { items: [], total, offset, limit };
    const res = await store.list(filter, { offset: from, limit: count });
    const items = [...res.items].sort((a, b) => a.discoveredAt.localeCompare(b.discoveredAt) || a.id.localeCompare(b.id));
    return { items, total: res.total, offset, limit };
  });

  app.post('/api/review/:id/confirm', {
    preValidation: requireRole(REVIEWERS, 'confirming a detection'),
    schema: { summary: 'Confirm a detection: the order is dispatched', description: 'Operators and admins.', tags: ['review'], params: idParam, response: { 200: workOrderSchema } },
  }, async (req) => {
    const { id } = req.params;
    await getOrder(ctx, id); // a clean 404 whatever the workflow layer throws for unknown ids
    return actions.confirm(id, signedIn(req));
  });

  app.post('/api/review/:id/reject', {
    preValidation: requireRole(REVIEWERS, 'rejecting a detection'),
    schema: { summary: 'Reject a detection, with a reason', description: 'Operators and admins.', tags: ['review'], params: idParam, body: rejectBody, response: { 200: workOrderSchema } },
  }, async (req) => {
    const { id } = req.params;
    const { reason, note } = req.body;
    await getOrder(ctx, id);
    return actions.reject(id, signedIn(req), reason, note || undefined);
  });
}

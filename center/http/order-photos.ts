/**
 * `POST /api/orders/:id/photos`: an officer's photo of the scene, taken in the officer app, kept
 * in the evidence store as an `officer` photo of the order. Resolving needs one (orders.ts). The
 * same bytes sent again (an upload retried after a lost answer) add nothing.
 */
import { ulid } from 'ulid';
import { z } from 'zod';
import { EVIDENCE_CONTENT_TYPE } from '../../contract/index.js';
import type { Role } from '../config.js';
import { applyOfficerPhoto, isOpen, workOrderSchema } from '../../ticketing/work-order.js';
import { userOf } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, badRequest } from './errors.js';
import { assertOfficerScope, getOrder } from './orders.js';
import { isJpeg } from '../../ticketing/report-intake.js';

/** A phone photo the app has not scaled down (an old browser) still fits. */
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
const PHOTO_TAKERS: readonly Role[] = ['officer', 'admin'];

export function orderPhotoRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store, evidence } = ctx.deps;
  // Raw JPEG bodies, with their own limit; the parser lives only in this scope.
  void app.register(async (scope: ApiApp) => {
    scope.addContentTypeParser(EVIDENCE_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_PHOTO_BYTES }, (_req, body, done) => done(null, body));
    scope.post('/api/orders/:id/photos', {
      bodyLimit: MAX_PHOTO_BYTES,
      schema: {
        summary: 'Add the officer\'s photo of the scene to a work order',
        description: `Officers (their own or their team's orders) and admins. The body is the JPEG, \`Content-Type: ${EVIDENCE_CONTENT_TYPE}\`, at most ${MAX_PHOTO_BYTES / 1024 / 1024} MiB. 201 with the order; 200 when this photo is already there. Resolving an order needs one.`,
        tags: ['orders'],
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: workOrderSchema, 201: workOrderSchema },
      },
    }, async (req, reply) => {
      const user = userOf(req, PHOTO_TAKERS, 'adding a photo to a work order');
      const body = req.body;
      if (!Buffer.isBuffer(body)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the photo as the body, with Content-Type: ${EVIDENCE_CONTENT_TYPE}`);
      if (!isJpeg(body)) throw badRequest('body: not a JPEG image');
      const order = await getOrder(ctx, req.params.id);
      assertOfficerScope(user, order);
      if (!isOpen(order.state) || order.state === 'pending_review') {
        throw new ApiError(409, 'ORDER_NOT_ACTIVE', `work order ${order.id} is ${order.state}: photos are taken while it is being handled`);
      }
      const sha256 = await evidence.put(body);
      const at = new Date(ctx.now()).toISOString();
      const ref = { evidenceId: ulid(), sha256, capturedAt: at, contentType: 'image/jpeg' as const, bytes: body.length, kind: 'officer' as const };
      // Decided on the order read for the commit itself: a retried upload racing the first adds it once.
      let added = false;
      const updated = await store.apply(order.id, (o) => {
        added = !o.evidence.some((e) => e.kind === 'officer' && e.sha256 === sha256);
        return added ? applyOfficerPhoto(o, ref, user.name, at) : null;
      });
      return reply.code(added ? 201 : 200).send(updated);
    });
  });
}

/**
 * The latest whole-frame photo of a camera, for drawing zones on: the newest `full` evidence among
 * the camera's most recent orders. The centre has no other pictures; a camera that never
 * produced an order has none (404).
 */
import { z } from 'zod';
import { evidenceRef, ID_PATTERN } from '../../contract/index.js';
import type { ApiApp, ApiContext } from './context.js';
import { notFound } from './errors.js';

const idText = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -');
const params = z.object({ deviceId: idText, cameraId: idText });
const photo = evidenceRef.pick({ sha256: true, capturedAt: true }).extend({ orderId: z.string() });
/** Recent enough to be today's view, few enough to be one cheap read. */
const ORDERS_LOOKED_AT = 20;

export function cameraPhotoRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/api/cameras/:deviceId/:cameraId/photo', {
    schema: {
      summary: 'A camera\'s latest whole-frame photo, for drawing zones on',
      description: 'The photo itself is at /api/evidence/{sha256}.',
      tags: ['devices'],
      params,
      response: { 200: photo },
    },
  }, async (req) => {
    const { deviceId, cameraId } = req.params;
    const { items } = await ctx.deps.store.list({ deviceId, cameraId }, { offset: 0, limit: ORDERS_LOOKED_AT });
    let best: z.output<typeof photo> | null = null;
    for (const o of items) {
      for (const e of o.evidence) {
        if (e.kind === 'full' && (!best || e.capturedAt > best.capturedAt)) best = { sha256: e.sha256, capturedAt: e.capturedAt, orderId: o.id };
      }
    }
    if (!best) throw notFound(`no photo of ${deviceId}/${cameraId} yet: it has no work orders with evidence`);
    return best;
  });
}

/**
 * Reports from signed-in people: grid inspectors (and operators, admins) send a photo, their GPS
 * position and the problem's type from the phone; the report joins or opens an order like an
 * Open311 one, with source `inspector`.
 */
import { z } from 'zod';
import { ulid, violationType, workOrderSchema } from '../../contract/index.js';
import type { Role } from '../config.js';
import { requireRole, signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, badRequest } from './errors.js';
import { formField, formText, latitude, longitude, uploadedFile } from './validate.js';

/** Who may report (the officer app offers its report screen to them: console-settings.ts). */
export const REPORTERS: readonly Role[] = ['inspector', 'operator', 'supervisor', 'admin'];

const reportBody = z.object({
  reportId: formField(ulid).meta({ description: "The phone's own id for the report (a ULID): sent again on a retry, it files nothing twice" }),
  type: violationType,
  lat: latitude,
  long: longitude,
  description: formText(4000),
  plate: formText(20),
  address: formText(300),
  photo: z.unknown().meta({ description: 'The JPEG photo (multipart/form-data upload); required' }),
});

export function reportRoutes(app: ApiApp, ctx: ApiContext): void {
  app.post('/api/reports', {
    preValidation: requireRole(REPORTERS, 'reporting a problem'),
    schema: {
      summary: 'Report a problem seen on the street (inspectors)',
      description:
        'multipart/form-data: `photo` (JPEG), `lat`, `long`, `type`, optional `description`, `plate`, `address`, `reportId`. Joins an open order of the type near it (`reports.radiusMeters`, `reports.windowMinutes`), or opens one: dispatched at once when `reports.inspectorAutoConfirm`, else waiting for review. 201 for a new order, 200 when it joined one. A `reportId` sent before answers the order holding that report (200) and files nothing new; 409 when it is another reporter\'s.',
      tags: ['orders'],
      body: reportBody,
      response: { 200: workOrderSchema, 201: workOrderSchema },
    },
  }, async (req, reply) => {
    const user = signedIn(req);
    const b = req.body;
    const photo = uploadedFile(b.photo, 'photo');
    if (!photo) throw badRequest('photo: is required (a JPEG, as a multipart/form-data upload)', 'photo');
    if (!ctx.deps.reports) throw new ApiError(503, 'UNAVAILABLE', 'this centre takes no reports');
    const { order, created } = await ctx.deps.reports.submit({
      ...(b.reportId ? { id: b.reportId } : {}),
      source: 'inspector',
      user: user.name,
      type: b.type,
      description: b.description ?? '',
      location: { lat: b.lat, long: b.long, ...(b.address ? { address: b.address } : {}) },
      ...(b.plate ? { plate: b.plate } : {}),
      photo,
      confirmed: ctx.config.reports.inspectorAutoConfirm,
    });
    // A known id answers its order: only to the one who filed it.
    const filed = b.reportId ? order.reports.find((r) => r.id === b.reportId) : undefined;
    if (filed && filed.user !== user.name) throw new ApiError(409, 'REPORT_ID_TAKEN', `reportId ${b.reportId} is another reporter's; send a new one`);
    return reply.code(created ? 201 : 200).send(order);
  });
}

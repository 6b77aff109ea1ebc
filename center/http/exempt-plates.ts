/**
 * Exempt plates (police, ambulance, permit holders): vehicles no parking rule applies to. The
 * centre keeps the list; every change is sent to every active box in its desired config.
 *
 *   GET    /api/exempt-plates          the list, expired entries dropped (operator, admin)
 *   PUT    /api/exempt-plates/:plate   add or replace a plate (admin)
 *   DELETE /api/exempt-plates/:plate   remove a plate (admin)
 *   GET    /api/exempt-plates/audit    who added or removed what, newest first (operator, admin)
 */
import { z } from 'zod';
import { normalisePlateText } from '../../common/plate-normalise.js';
import { exemptPlate, exemptPlateAuditLine, exemptPlateEntry } from '../../contract/index.js';
import type { Role } from '../config.js';
import type { ExemptPlateService } from './deps.js';
import { requireRole, signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { badRequest, notFound } from './errors.js';
import { paging } from './validate.js';

const READERS: readonly Role[] = ['operator', 'supervisor', 'admin'];
/** An exempt plate silences enforcement on every box: admins only. */
const EDITORS: readonly Role[] = ['admin'];
const TAGS = ['exempt-plates'];

const plateParam = z.object({ plate: z.string().min(1).max(64) });
const plateBody = exemptPlate.omit({ plate: true });
const sent = z.array(z.object({ deviceId: z.string(), version: z.number().int() })).meta({ description: 'Each active box and the desired config version it was sent' });
const SENT = 'The whole list is then sent to every registered, non-revoked box as a new desired config version (`config.exemptPlates`); `sent` names each box and its version.';

/** The plate as the box reads it, or a 400 naming `plate`. */
function normalisedPlate(raw: string): string {
  const plate = normalisePlateText(raw);
  const checked = exemptPlate.shape.plate.safeParse(plate);
  if (!checked.success || !/^[\p{L}\p{N}]+$/u.test(plate)) throw badRequest(`plate: "${raw}" normalised is "${plate}": must be 2-16 letters and digits`, 'plate');
  return plate;
}

export function exemptPlateRoutes(app: ApiApp, ctx: ApiContext, service: ExemptPlateService): void {
  app.get('/api/exempt-plates', {
    preValidation: requireRole(READERS, 'reading exempt plates'),
    schema: { summary: 'The exempt plates', description: 'Operators and admins. Answers `{ items }`, sorted by plate; expired entries are dropped (and audited) as the list is read.', tags: TAGS, response: { 200: z.object({ items: z.array(exemptPlateEntry) }) } },
  }, async () => ({ items: await service.list() }));

  app.get('/api/exempt-plates/audit', {
    preValidation: requireRole(READERS, 'reading the exempt plate audit'),
    schema: { summary: 'Who changed the exempt plates, newest first', description: 'Operators and admins. Answers `{ items }`: `{ at, by, action: added|updated|removed|expired, plate, expiresAt?, reason? }`.', tags: TAGS, querystring: z.object({ limit: paging.limit }), response: { 200: z.object({ items: z.array(exemptPlateAuditLine) }) } },
  }, async (req) => ({ items: await service.audit(req.query.limit) }));

  app.put('/api/exempt-plates/:plate', {
    preValidation: requireRole(EDITORS, 'changing exempt plates'),
    schema: { summary: 'Add or replace an exempt plate', description: `Admins. The plate is stored normalised (as the box reads it); \`expiresAt\` must be in the future. ${SENT}`, tags: TAGS, params: plateParam, body: plateBody, response: { 200: z.object({ entry: exemptPlateEntry, sent }) } },
  }, async (req) => {
    const plate = normalisedPlate(req.params.plate);
    const { expiresAt, reason } = req.body;
    if (expiresAt !== undefined && Date.parse(expiresAt) <= ctx.now()) throw badRequest('expiresAt: must be in the future', 'expiresAt');
    return service.put({ plate, expiresAt, reason }, signedIn(req).name);
  });

  app.delete('/api/exempt-plates/:plate', {
    preValidation: requireRole(EDITORS, 'changing exempt plates'),
    schema: { summary: 'Remove an exempt plate', description: `Admins. 404 when the plate is not on the list. ${SENT}`, tags: TAGS, params: plateParam, response: { 200: z.object({ sent }) } },
  }, async (req) => {
    const plate = normalisedPlate(req.params.plate);
    const removed = await service.remove(plate, signedIn(req).name);
    if (!removed) throw notFound(`no exempt plate ${plate}`);
    return removed;
  });
}

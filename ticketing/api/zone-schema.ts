/**
 * The zones the console may send a box (`config/desired` → `cameras[].zones`): the fields the zone
 * editor sets. Shape only — the box validates the merged config against its full schema (crossing
 * edges, class names) and reports `rejected` with the reason, which the console shows.
 */
import { z } from 'zod';
import { ID_PATTERN } from '../../contract/index.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const unit = z.number().min(0, 'must be within 0..1').max(1, 'must be within 0..1');
const classList = z.array(z.string().min(1).max(64)).min(1).max(80);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');

export const zoneSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -'),
    kind: z.enum(['no_parking', 'no_vending']),
    polygon: z.array(z.tuple([unit, unit])).min(3, 'a polygon needs at least 3 points').max(64, 'at most 64 points'),
    dwellSeconds: z.number().positive().max(86_400).optional(),
    // Thresholds and timing of the zone's rule (the editor keeps them; the API may set them).
    minConfidence: unit.optional(),
    evidenceRepeatSeconds: z.number().positive().max(86_400).optional(),
    updateSeconds: z.number().positive().max(86_400).optional(),
    leaveGraceSeconds: z.number().min(0).max(3_600).optional(),
    // Which classes the rule looks at: kept as the box reported them (it checks them against its model).
    vehicleClasses: classList.optional(),
    goodsClasses: classList.optional(),
    personClasses: classList.optional(),
    personNearFactor: z.number().positive().max(100).optional(),
    clusterGapFactor: z.number().positive().max(100).optional(),
    schedule: z
      .array(z.object({ days: z.array(z.enum(DAYS)).min(1).optional(), from: hhmm, to: hhmm }).strict())
      .min(1)
      .max(14)
      .optional(),
  })
  .strict();

export type Zone = z.output<typeof zoneSchema>;

/** Box-wide settings the centre may change remotely besides zones (the box applies them live). */
export const settingsBody = z
  .object({
    privacy: z.object({ blurPeople: z.boolean().optional(), blurPlates: z.boolean().optional() }).strict().optional(),
    telemetry: z.object({ intervalSeconds: z.number().positive().max(3_600) }).strict().optional(),
  })
  .strict()
  .refine((b) => b.privacy !== undefined || b.telemetry !== undefined, 'give privacy and/or telemetry');

export type Settings = z.output<typeof settingsBody>;

export const zonesBody = z
  .object({ zones: z.array(zoneSchema).max(32, 'at most 32 zones per camera') })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.zones.forEach((zone, i) => {
      if (seen.has(zone.id)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'id'], message: `zone id ${zone.id} is used twice` });
      seen.add(zone.id);
    });
  });

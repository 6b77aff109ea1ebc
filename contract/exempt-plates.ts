/**
 * Exempt plates as the HTTP API serves them to the console (`/api/exempt-plates`): each entry with
 * who added it and when, and the audit of every change. What the boxes are sent is `exemptPlate`
 * (zones.ts), without the who and when.
 */
import { z } from 'zod';
import { isoTime } from './fields.js';
import { exemptPlate } from './zones.js';

export const exemptPlateEntry = exemptPlate.extend({ addedBy: z.string(), addedAt: isoTime }).meta({ id: 'ExemptPlateEntry' });

export const exemptPlateAuditLine = z
  .object({
    at: isoTime,
    by: z.string(),
    action: z.enum(['added', 'updated', 'removed', 'expired']),
    plate: z.string(),
    expiresAt: isoTime.optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'ExemptPlateAuditLine' });

export type ExemptPlateEntry = z.output<typeof exemptPlateEntry>;
export type ExemptPlateAuditLine = z.output<typeof exemptPlateAuditLine>;

/**
 * The field types every message is built from: times, ids, fractions, hashes. Kept apart from
 * messages.ts so zones.ts can use them too without an import cycle.
 */
import { z } from 'zod';
import { ID_PATTERN } from './topics.js';

/** ISO 8601 UTC with milliseconds, e.g. 2026-11-26T08:41:12.345Z. */
export const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be ISO 8601 UTC with milliseconds (…T08:41:12.345Z)')
  .meta({ description: 'ISO 8601 UTC with milliseconds', examples: ['2026-11-26T08:41:12.345Z'] });

export const id = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -');
export const ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID').meta({ description: 'ULID: sortable unique id' });
export const unit = z.number().min(0, 'must be within 0..1').max(1, 'must be within 0..1');
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** Where in a parsed message something is wrong, and what: the shape of a zod issue. */
export interface FieldIssue {
  path: readonly PropertyKey[];
  message: string;
}

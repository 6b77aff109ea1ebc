/**
 * Messages the centre's ingest refused (bad topic, schema, size), as `GET /api/dead-letters` lists
 * them for operators. Kept by ticketing/ingest/dead-letters.ts; everything in one is cut to a bound
 * there, so one message cannot bloat Redis whatever it holds.
 */
import { z } from 'zod';
import { isoTime, ulid } from './fields.js';

/** Stable reason codes: dashboards and alerts key on these. */
export const DEAD_LETTER_CODES = [
  'unknown_topic', // outside the topic layout, or a topic devices must not publish
  'bad_json', // not UTF-8 JSON
  'schema_invalid', // JSON that breaks the contract (nested too deep, an instant ahead of the centre's clock, …); the reason names the field path
  'oversized', // payload above the limit for its kind
  'unknown_device', // not in the broker's registry, or revoked
  'device_mismatch', // deviceId in the payload ≠ deviceId in the topic
  'topic_mismatch', // cameraId/sensorId in the payload ≠ the topic
  'evidence_invalid', // empty or not a JPEG
  'evidence_conflict', // an evidenceId arrived again with different bytes
  'evidence_missing', // a detection lists an evidenceId whose bytes never arrived
  'evidence_sha_mismatch', // … or whose bytes hash differently from what the detection says
  'internal_error', // a handler failed for a reason of ours (Redis down, a bug)
] as const;
export const deadLetterCode = z.enum(DEAD_LETTER_CODES);

// Ids and topic are what the refused message claimed, so plain strings: they need not be valid.
export const deadLetterSchema = z
  .object({
    id: ulid,
    /** When it was dead-lettered. */
    at: isoTime,
    topic: z.string(),
    code: deadLetterCode,
    /** Human-readable; names the field path for schema errors. */
    reason: z.string(),
    clientId: z.string().optional(),
    deviceId: z.string().optional(),
    cameraId: z.string().optional(),
    /** Size of the original payload. */
    bytes: z.number().int().min(0),
    payloadBase64: z.string(),
    /** True when payloadBase64 holds only the first bytes the centre keeps. */
    truncated: z.boolean(),
  })
  .meta({ id: 'DeadLetter' });

export type DeadLetterCode = z.output<typeof deadLetterCode>;
export type DeadLetter = z.output<typeof deadLetterSchema>;

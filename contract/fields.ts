/**
 * The field types every message is built from: times, ids, fractions, hashes. Kept apart from
 * messages.ts so zones.ts can use them too without an import cycle.
 */
import { z } from 'zod';
import { ID_PATTERN } from './topics.js';

/** The one shape of an instant on the wire, e.g. 2026-11-26T08:41:12.345Z. */
export const ISO_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The earliest instant a message may carry. Fixed, so the schema stays pure: a box replays
 * spooled messages days old, which this lets through, while a box whose clock fell back to 1970
 * (no RTC, no NTP yet) is refused instead of opening orders already 56 years overdue.
 */
export const EARLIEST_TIME = '2000-01-01T00:00:00.000Z';

/**
 * How far ahead of the centre's clock a box's instant may be. Not part of `isoTime`: "ahead" needs
 * the time the message was received, which only the receiver knows, so the centre checks it once
 * on arrival (`instantsAhead`, used by readDeviceMessage). The box never checks the centre's
 * instants against its own clock, which is the one more likely to be wrong. Five minutes is ten
 * times what `edge doctor` fails a box for (30 s), and bounds what a wrong clock can do: a future
 * `discoveredAt` moves the SLA deadline, a future telemetry `at` hides the readings after it.
 */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

/** Only real instants: Date rolls 30 February over to 2 March and reads hour 24 as the next day. */
const isRealInstant = (s: string): boolean => {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && new Date(ms).toISOString() === s;
};

/** ISO 8601 UTC with milliseconds, a real date and time, not before EARLIEST_TIME. */
export const isoTime = z
  .string()
  .regex(ISO_TIME_PATTERN, { error: 'must be ISO 8601 UTC with milliseconds (…T08:41:12.345Z)', abort: true })
  .refine(isRealInstant, { error: (i) => `${String(i.input)} is no real date and time (a month 13, 30 February, hour 25?)`, abort: true })
  // ISO strings of this one format compare like the instants they denote.
  .refine((s) => s >= EARLIEST_TIME, { error: (i) => `${String(i.input)} is before ${EARLIEST_TIME}` })
  .meta({ description: `ISO 8601 UTC with milliseconds, a real instant from ${EARLIEST_TIME} on`, examples: ['2026-11-26T08:41:12.345Z'] });

export const id = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -');
export const ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID').meta({ description: 'ULID: sortable unique id' });
export const unit = z.number().min(0, 'must be within 0..1').max(1, 'must be within 0..1');
export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** Where in a parsed message something is wrong, and what: the shape of a zod issue. */
export interface FieldIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * Pure: every instant in `value` (a parsed message) more than MAX_CLOCK_AHEAD_MS after
 * `receivedAt`. It looks for strings of the isoTime shape rather than walking the schema: every
 * instant of the contract is one, and a free-text field holding exactly such a string loses
 * nothing by being held to the same bound. `value` passed a schema, so it is shallow.
 */
export function instantsAhead(value: unknown, receivedAt: Date, path: PropertyKey[] = []): FieldIssue[] {
  if (typeof value === 'string') {
    const aheadMs = ISO_TIME_PATTERN.test(value) ? Date.parse(value) - receivedAt.getTime() : NaN;
    if (!(aheadMs > MAX_CLOCK_AHEAD_MS)) return [];
    const message = `${value} is ${describeAhead(aheadMs)} ahead of the centre's clock (received ${receivedAt.toISOString()}; at most ${MAX_CLOCK_AHEAD_MS / 60_000} min allowed): is the box's clock right?`;
    return [{ path, message }];
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => instantsAhead(v, receivedAt, [...path, Array.isArray(value) ? Number(k) : k]));
}

function describeAhead(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 120) return `${Math.round(minutes)} min`;
  const days = minutes / 1440;
  return days < 2 ? `${Math.round(minutes / 60)} h` : `${Math.round(days)} days`;
}

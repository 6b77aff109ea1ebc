/**
 * Request validation: the zod schemas routes declare for their params, query and body, and the
 * compiler that runs them (its refusals become a 400 naming the field in errors.ts).
 */
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sha256 } from '../../contract/index.js';
import { badRequest } from './errors.js';

/**
 * The zod type provider's validator, but an absent (or JSON null) body is read as `{}`: a POST
 * sent without its body is then told the first field it misses, not that it sent no object.
 */
export const validatorCompiler: typeof zodValidatorCompiler = (route) => {
  const validate = zodValidatorCompiler(route);
  return route.httpPart === 'body' ? (data) => validate(data ?? {}) : validate;
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether the string's leading YYYY-MM-DD names a day of the calendar (Date.parse rolls 02-30 over to March). */
function realDay(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number);
  const day = new Date(0);
  day.setUTCFullYear(y, m - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** An ISO 8601 date or date-time, normalised to UTC with milliseconds (what the store compares). */
export const isoDate = z
  .string()
  .regex(ISO_DATE, 'must be an ISO 8601 date or date-time')
  .refine((s) => realDay(s) && !Number.isNaN(Date.parse(s)), 'must be a valid date')
  .transform((s) => new Date(s).toISOString());

export const sha256Param = z.object({ sha256 });

export const MAX_PAGE = 200;

export const paging = {
  offset: z.coerce.number().int('must be an integer').min(0, 'must be 0 or more').default(0),
  limit: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`).default(50),
};

/** The non-empty items of a comma list, trimmed. */
const splitComma = (s: string): string[] => s.split(',').map((v) => v.trim()).filter(Boolean);

/** A comma list of enum values, e.g. `state=dispatched,accepted`. */
export const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((s, ctx): T[number][] => {
    const items = splitComma(s);
    const bad = items.find((v) => !values.includes(v));
    if (items.length === 0 || bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${bad === undefined ? 'is empty' : `has unknown value ${JSON.stringify(bad)}`}; use a comma list of ${values.join(', ')}` });
      return z.NEVER;
    }
    return items as T[number][];
  });

const MAX_ID_LENGTH = 64;

/** What is wrong with a list of ids, or null. */
function idListProblem(ids: readonly string[], max: number): string | null {
  if (ids.length === 0) return 'is empty; give a comma list of ids';
  if (ids.length > max) return `has ${ids.length} ids; at most ${max} at a time`;
  const long = ids.find((id) => id.length > MAX_ID_LENGTH);
  return long === undefined ? null : `has an id over ${MAX_ID_LENGTH} characters: ${JSON.stringify(long.slice(0, MAX_ID_LENGTH))}…`;
}

/** A comma list of 1 to `max` ids (each at most 64 characters), duplicates dropped, e.g. `a,b`. */
export const idList = (max: number) =>
  z.string().transform((s, ctx): string[] => {
    const ids = [...new Set(splitComma(s))];
    const problem = idListProblem(ids, max);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return ids;
  });

/** A form field left empty is a field not given. */
export const formField = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
/** Optional trimmed text of at most `max` characters. */
export const formText = (max: number) => formField(z.string().trim().max(max, `at most ${max} characters`));
export const latitude = z.coerce.number().min(-90, 'must be -90 to 90').max(90, 'must be -90 to 90');
export const longitude = z.coerce.number().min(-180, 'must be -180 to 180').max(180, 'must be -180 to 180');

/** A multipart upload's bytes (multipart.ts puts them in the body), undefined when absent; anything else is refused. */
export function uploadedFile(value: unknown, field: string): Buffer | undefined {
  if (value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value;
  throw badRequest(`${field}: must be a file upload (multipart/form-data)`, field);
}

/** A content-type parser for `application/x-www-form-urlencoded`: the fields as an object of strings. */
export function parseForm(_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  done(null, Object.fromEntries(new URLSearchParams(String(body))));
}

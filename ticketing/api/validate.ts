/** Request parsing with zod; the first issue becomes a 400 that names the field. */
import { z } from 'zod';
import { badRequest } from './errors.js';

export function parse<S extends z.ZodType>(schema: S, data: unknown, where = 'body'): z.output<S> {
  const res = schema.safeParse(data ?? {});
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const field = issue.path.map(String).join('.') || where;
  throw badRequest(`${field}: ${issue.message}`, field);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 date or date-time, normalised to UTC with milliseconds (what the store compares). */
export const isoDate = z
  .string()
  .regex(ISO_DATE, 'must be an ISO 8601 date or date-time')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a valid date')
  .transform((s) => new Date(s).toISOString());

export const sha256Param = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256') });

export const MAX_PAGE = 200;

export const paging = {
  offset: z.coerce.number().int('must be an integer').min(0, 'must be 0 or more').default(0),
  limit: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`).default(50),
};

/** A comma list of enum values, e.g. `state=dispatched,accepted`. */
export const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((s, ctx): T[number][] => {
    const items = s.split(',').map((v) => v.trim()).filter(Boolean);
    const bad = items.find((v) => !values.includes(v));
    if (items.length === 0 || bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${bad === undefined ? 'is empty' : `has unknown value ${JSON.stringify(bad)}`}; use a comma list of ${values.join(', ')}` });
      return z.NEVER;
    }
    return items as T[number][];
  });

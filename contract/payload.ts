/**
 * Reading a JSON message someone else sent: the bounds every JSON payload of the contract is held
 * to, checked before JSON.parse, and the one reader the centre uses for a box's messages. Needed
 * because schema-valid is not harmless: a zone nested 40,000 levels deep passes a record schema,
 * then JSON.stringify (or any other recursive walk) overflows the stack and the RangeError takes
 * the process down with it.
 */
import type { z } from 'zod';
import { instantsAhead, type FieldIssue } from './fields.js';

/** Largest JSON message; the ingest's default limit. */
export const MAX_JSON_BYTES = 256 * 1024;

/**
 * Deepest nesting of objects and arrays in a JSON message. The deepest real one, a schedule's
 * days in `config/desired` (message → config → cameras → camera → zones → zone → schedule →
 * window → days), is 9 levels; 32 leaves room for the contract to grow while every recursive walk
 * of a message (zod, JSON.stringify, the Redis Lua cjson) stays far from any stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/** `too_large`: above MAX_JSON_BYTES; `not_json`: not UTF-8 JSON; `too_deep`: nested above MAX_JSON_DEPTH. */
export type JsonProblem = 'too_large' | 'not_json' | 'too_deep';
/** `invalid`: against the schema, or an instant ahead of the receiving clock. */
export type MessageProblem = JsonProblem | 'invalid';

export type Parsed<T, P extends string> = { ok: true; value: T } | { ok: false; problem: P; reason: string };

const OPENERS = new Set(['{', '[']);
const CLOSERS = new Set(['}', ']']);

/**
 * Pure: the index of the first `{` or `[` that opens nesting level `maxDepth + 1`, or -1. A linear
 * scan (brackets inside strings do not count), so JSON.parse never sees a deep document.
 */
export function tooDeepAt(text: string, maxDepth = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++; // whatever is escaped, it cannot end the string
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (OPENERS.has(c) && ++depth > maxDepth) return i;
    else if (CLOSERS.has(c)) depth--;
  }
  return -1;
}

/** Bytes → a JSON value, within MAX_JSON_BYTES and MAX_JSON_DEPTH; never throws. */
export function parseJsonPayload(payload: Uint8Array): Parsed<unknown, JsonProblem> {
  if (payload.byteLength > MAX_JSON_BYTES) return { ok: false, problem: 'too_large', reason: `${payload.byteLength} bytes, above the limit of ${MAX_JSON_BYTES}` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch (err) {
    return { ok: false, problem: 'not_json', reason: `not UTF-8 (${(err as Error).message})` };
  }
  const at = tooDeepAt(text);
  if (at >= 0) return { ok: false, problem: 'too_deep', reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels (character ${at})` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, problem: 'not_json', reason: `not JSON (${(err as Error).message})` };
  }
}

/** `field.path: problem; other[2].path: problem` — at most five, the path as in config errors. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

/**
 * A box's message as the centre reads it: bounded JSON, valid against `schema`, and no instant
 * more than MAX_CLOCK_AHEAD_MS ahead of `receivedAt`. Never throws; the reason names the field.
 */
export function readDeviceMessage<S extends z.ZodType>(payload: Uint8Array, schema: S, receivedAt: Date): Parsed<z.output<S>, MessageProblem> {
  const json = parseJsonPayload(payload);
  if (!json.ok) return json;
  const res = schema.safeParse(json.value);
  if (!res.success) return { ok: false, problem: 'invalid', reason: describeIssues(res.error.issues) };
  const ahead = instantsAhead(res.data, receivedAt);
  if (ahead.length) return { ok: false, problem: 'invalid', reason: describeIssues(ahead) };
  return { ok: true, value: res.data };
}

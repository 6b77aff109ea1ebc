import type { z } from 'zod';

/** The parts of zod's schema definitions this walk reads (zod 4 `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  items?: z.core.$ZodType[];
  valueType?: z.core.$ZodType;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  discriminator?: string;
  getter?: () => z.core.$ZodType;
}

const def = (s: z.core.$ZodType) => s._zod.def as unknown as Def;

/** Strips wrappers that do not change an object's keys: optional, default, pipe, lazy… */
function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    const d = def(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else return s;
  }
}

/** The members of a union `value` can be: by its discriminator when it has one, else all of them. */
function branches(s: z.core.$ZodType, value: unknown): z.core.$ZodType[] {
  const d = def(s);
  if (d.type !== 'union' || !d.options) return [s];
  const tag = d.discriminator && value && typeof value === 'object' ? (value as Record<string, unknown>)[d.discriminator] : undefined;
  const matching = d.options.filter((o) => tag !== undefined && unwrap(o)._zod.propValues?.[d.discriminator!]?.has(tag as string));
  return (matching.length ? matching : d.options).flatMap((o) => branches(unwrap(o), value));
}

function child(s: z.core.$ZodType, key: PropertyKey): z.core.$ZodType | undefined {
  const d = def(s);
  if (d.type === 'object') return d.shape?.[String(key)];
  if (d.type === 'array') return d.element;
  if (d.type === 'tuple') return d.items?.[Number(key)];
  if (d.type === 'record') return d.valueType;
  return undefined;
}

/** The schemas (unwrapped, unions spread) that may validate the value at `path` of `input`. */
function schemasAt(schema: z.core.$ZodType, path: readonly PropertyKey[], input: unknown): z.core.$ZodType[] {
  let here = [unwrap(schema)];
  let value = input;
  for (const key of path) {
    here = here.flatMap((s) => branches(s, value)).flatMap((s) => {
      const c = child(s, key);
      return c ? [unwrap(c)] : [];
    });
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return here.flatMap((s) => branches(s, value));
}

/**
 * The keys the schema allows in the object at `path` of `input` (the document being validated,
 * which picks the member of a discriminated union): what an unknown key is compared with.
 */
export function objectKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  return [...new Set(schemasAt(schema, path, input).flatMap((s) => Object.keys(def(s).shape ?? {})))];
}

/** Whether the field at `path` takes text: then a value that looks like a number stays text. */
export function takesTextAt(schema: z.core.$ZodType, path: readonly PropertyKey[], input: unknown): boolean {
  return schemasAt(schema, path, input).some((s) => def(s).type === 'string');
}

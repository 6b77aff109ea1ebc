/**
 * Config schema → Markdown reference: one table per section (field path, type, default,
 * constraints, description). It reads the schema's JSON Schema (zod's own export, as the AsyncAPI
 * document does) rather than zod's internals, in `input` mode: what a config file may say, with
 * the defaults the schema fills in. Refinements (time zones, crossing polygon edges, unique ids)
 * have no JSON Schema form; the descriptions name them.
 */
import { z } from 'zod';

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
}

interface Row {
  path: string;
  type: string;
  default: string;
  constraints: string;
  description: string;
}

interface Section {
  title: string;
  intro: string;
  rows: Row[];
}

/** The reference of one config schema: a `###` section per top-level group and per list of objects. */
export function configReference(schema: z.ZodType): string {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const top: Section = { title: 'Top level', intro: '', rows: [] };
  const sections = [top];
  for (const [key, prop] of Object.entries(root.properties ?? {})) {
    const required = root.required?.includes(key) ?? false;
    if (isPlainObject(prop)) {
      const section: Section = { title: `\`${key}\``, intro: sectionIntro(prop, required), rows: [] };
      sections.push(section);
      walkFields(prop, key, section, sections);
    } else {
      addField(key, prop, required, top, sections);
    }
  }
  return sections.filter((s) => s.rows.length > 0).map(renderSection).join('\n');
}

/** Objects with named fields are flattened into dotted paths; maps (`additionalProperties`) are leaves. */
const isPlainObject = (s: JsonSchema): boolean => s.type === 'object' && s.properties !== undefined;

function walkFields(obj: JsonSchema, prefix: string, section: Section, sections: Section[], note = ''): void {
  for (const [key, prop] of Object.entries(obj.properties ?? {})) {
    addField(`${prefix}.${key}`, prop, obj.required?.includes(key) ?? false, section, sections, note);
  }
}

function addField(path: string, s: JsonSchema, required: boolean, section: Section, sections: Section[], note = ''): void {
  if (s.$ref) throw new Error(`${path}: $ref is not supported; inline the schema (no meta id) or extend the generator`);
  if (isPlainObject(s)) {
    // A nested group gets its own row only when it says something its fields cannot: what it is,
    // that it is optional, or a default of its own (one that sets fields, not just `{}`).
    const ownDefault = s.default !== undefined && JSON.stringify(s.default) !== '{}';
    if (s.description || (!required && s.default === undefined) || ownDefault) section.rows.push(row(path, s, required, note));
    walkFields(s, path, section, sections, note);
    return;
  }
  const item = s.type === 'array' && s.items ? s.items : undefined;
  const itemBranches = item && discriminated(item);
  if (item && (isPlainObject(item) || itemBranches)) {
    section.rows.push({ ...row(path, s, required, note), type: 'list of objects' });
    const list: Section = { title: `\`${path}[]\``, intro: s.description ?? '', rows: [] };
    sections.push(list);
    if (itemBranches) walkUnion(itemBranches, `${path}[]`, list, sections);
    else walkFields(item, `${path}[]`, list, sections);
    return;
  }
  section.rows.push(row(path, s, required, note));
}

interface Branches {
  key: string;
  values: unknown[];
  objects: JsonSchema[];
}

/** A union of objects that one `const` field tells apart (zod's discriminatedUnion), else undefined. */
function discriminated(s: JsonSchema): Branches | undefined {
  const objects = s.oneOf ?? s.anyOf;
  if (!objects || !objects.every(isPlainObject)) return undefined;
  const key = Object.keys(objects[0].properties ?? {}).find((k) => objects.every((o) => o.properties?.[k]?.const !== undefined));
  return key === undefined ? undefined : { key, values: objects.map((o) => o.properties?.[key].const), objects };
}

/** The discriminator first, then the fields every branch has, then each branch's own, marked with it. */
function walkUnion(b: Branches, prefix: string, section: Section, sections: Section[]): void {
  const first = b.objects[0];
  section.rows.push({
    path: `${prefix}.${b.key}`,
    type: b.values.map(code).join(' | '),
    default: 'required',
    constraints: '',
    description: first.properties?.[b.key].description ?? '',
  });
  const inAll = (k: string) => b.objects.every((o) => o.properties?.[k] !== undefined);
  for (const [key, prop] of Object.entries(first.properties ?? {})) {
    if (key !== b.key && inAll(key)) addField(`${prefix}.${key}`, prop, first.required?.includes(key) ?? false, section, sections);
  }
  b.objects.forEach((o, i) => {
    const own = Object.fromEntries(Object.entries(o.properties ?? {}).filter(([k]) => !inAll(k)));
    walkFields({ ...o, properties: own }, prefix, section, sections, `Only with \`${b.key}: ${String(b.values[i])}\`. `);
  });
}

function row(path: string, s: JsonSchema, required: boolean, note: string): Row {
  return {
    path,
    type: typeOf(s),
    default: s.default !== undefined ? code(s.default) : required ? 'required' : '—',
    constraints: constraintsOf(s),
    description: note + (s.description ?? ''),
  };
}

function typeOf(s: JsonSchema): string {
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return branches.map((b) => (isPlainObject(b) ? shape(b) : typeOf(b))).join(' or ');
  if (s.const !== undefined) return code(s.const);
  if (s.enum) return s.enum.map(code).join(' | ');
  switch (s.type) {
    case 'string':
      return s.format === 'uri' ? 'URL' : 'string';
    case 'array':
      if (s.prefixItems) return `[${s.prefixItems.map((p) => [typeOf(p), constraintsOf(p)].filter(Boolean).join(' ')).join(', ')}]`;
      return s.items ? `list of ${typeOf(s.items)}` : 'list';
    case 'object':
      if (s.properties) return shape(s);
      return typeof s.additionalProperties === 'object' ? `map of string → ${typeOf(s.additionalProperties)}` : 'object';
    case undefined:
      return 'any';
    default:
      return s.type;
  }
}

/** `{name, path?}`: an object's fields in one cell, optional ones marked (fields that may only be absent left out). */
function shape(s: JsonSchema): string {
  const fields = Object.entries(s.properties ?? {})
    .filter(([, p]) => Object.keys(p).length > 0)
    .map(([k]) => (s.required?.includes(k) ? k : `${k}?`));
  return `{${fields.join(', ')}}`;
}

function constraintsOf(s: JsonSchema): string {
  const parts = [range(s), count(s)];
  if (s.minLength === 1) parts.push('non-empty');
  else if (s.minLength !== undefined) parts.push(`≥ ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`≤ ${s.maxLength} characters`);
  if (s.pattern !== undefined) parts.push(`matches ${code(s.pattern)}`);
  // A tuple's items carry their bounds in its type: `[number 0–1, number 0–1]`.
  if (s.type === 'array' && s.items && !s.prefixItems) parts.push(nested('each', constraintsOf(s.items)));
  if (s.type === 'object' && typeof s.additionalProperties === 'object') parts.push(nested('values', constraintsOf(s.additionalProperties)));
  return parts.filter(Boolean).join('; ');
}

/** `each: non-empty`, or `each: (≥ 2 items; each: non-empty)` when the inner text has parts of its own. */
const nested = (label: string, inner: string): string => (!inner ? '' : inner.includes(';') ? `${label}: (${inner})` : `${label}: ${inner}`);

/** zod writes Number.MAX_SAFE_INTEGER as the maximum of every `.int()`: no bound a reader needs. */
const bounded = (n: number | undefined): n is number => n !== undefined && n < Number.MAX_SAFE_INTEGER;

function range(s: JsonSchema): string {
  const low = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : '';
  const high = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : bounded(s.maximum) ? `≤ ${s.maximum}` : '';
  if (s.minimum !== undefined && bounded(s.maximum)) return `${s.minimum}–${s.maximum}`;
  return [low, high].filter(Boolean).join(', ');
}

function count(s: JsonSchema): string {
  const { minItems: min, maxItems: max } = s;
  if (s.prefixItems || (min === undefined && max === undefined)) return '';
  if (min !== undefined && max !== undefined) return `${min}–${max} items`;
  return min !== undefined ? `≥ ${min} ${min === 1 ? 'item' : 'items'}` : `≤ ${max} items`;
}

function sectionIntro(s: JsonSchema, required: boolean): string {
  const presence = required ? 'Required.' : s.default === undefined ? 'Optional.' : '';
  return [s.description, presence].filter(Boolean).join(' ');
}

/** A value as the config file would hold it, in a code span. */
function code(v: unknown): string {
  const text = typeof v === 'string' ? (v === '' ? '""' : v) : JSON.stringify(v);
  return `\`${text}\``;
}

/** Cells hold `|` escaped (GitHub tables read `\|` as a pipe, inside code spans too) and no line breaks. */
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function renderSection(s: Section): string {
  const rows = s.rows.map((r) => `| ${[code(r.path), r.type, r.default, r.constraints, r.description].map(cell).join(' | ')} |`);
  return [
    `### ${s.title}`,
    '',
    ...(s.intro ? [s.intro, ''] : []),
    '| Field | Type | Default | Constraints | Description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

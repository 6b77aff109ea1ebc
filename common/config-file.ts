import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML, { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { closestWord } from './closest-word.js';
import { StreetWatchError } from './errors.js';
import { objectKeysAt, takesTextAt } from './schema-keys.js';

/** Exit status of a process stopped by its configuration (sysexits.h EX_CONFIG): systemd does not restart on it. */
export const EX_CONFIG = 78;

export class ConfigError extends StreetWatchError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

type Path = readonly PropertyKey[];

/** `${NAME}` or `${NAME:-default}`; a default may hold one level of braces, e.g. `${STREETWATCH_REDIS_PREFIX:-{sw}}`. */
export const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^{}]|\{[^{}]*\})*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in one string; an empty variable counts as unset. */
function substituteRefs(text: string, env: NodeJS.ProcessEnv, missing: string[]): string {
  return text.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
}

const unsetMessage = (name: string) => `environment variable ${name} is not set and has no default`;

/** Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed document. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    const missing: string[] = [];
    const out = substituteRefs(value, env, missing);
    if (missing.length) throw new ConfigError(`${path || '(root)'}: ${unsetMessage(missing[0])}`);
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

/** `cameras[0].zones[1].polygon`, or `(root)`. */
function fieldPath(path: Path): string {
  const text = path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
  return text || '(root)';
}

/** One line per problem, each naming the field path, e.g. `cameras[0].zones[1].polygon: ...`. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `  ${fieldPath(i.path)}: ${i.message}`).join('\n');
}

export function parseWithSchema<S extends z.ZodType>(schema: S, doc: unknown, what: string): z.output<S> {
  const result = schema.safeParse(doc);
  if (!result.success) throw new ConfigError(`invalid ${what}:\n${formatZodIssues(result.error.issues)}`);
  return result.data;
}

/** A problem found in a config file: where (field path, offset in the text) and what. */
interface Problem {
  path: Path;
  offset: number | undefined;
  message: string;
}

/**
 * Substitutes env references in the scalar values of the parsed document, never in its text, so
 * a value holding `: `, `#` or quotes (a password) cannot change the document's structure. An
 * unquoted value that then reads as a YAML number or boolean becomes one, as if written there
 * (`fps: ${CAM_FPS:-10}` is the number 10), unless its field takes text (a password of digits
 * stays a string); a quoted one always stays a string.
 */
function substituteInDocument(doc: Document, env: NodeJS.ProcessEnv, schema: z.ZodType): Problem[] {
  const problems: Problem[] = [];
  const input: unknown = doc.toJS();
  const walk = (node: unknown, path: Path): void => {
    if (isMap(node)) node.items.forEach((p) => walk(p.value, [...path, isScalar(p.key) ? (p.key.value as PropertyKey) : String(p.key)]));
    else if (isSeq(node)) node.items.forEach((n, i) => walk(n, [...path, i]));
    else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const missing: string[] = [];
      const text = substituteRefs(node.value, env, missing);
      for (const name of missing) problems.push({ path, offset: node.range?.[0], message: unsetMessage(name) });
      node.value = node.type === 'PLAIN' && !takesTextAt(schema, path, input) ? plainScalar(text) : text;
    }
  };
  walk(doc.contents, []);
  return problems;
}

/** What `text` means written unquoted as a value: a number, a boolean, or else the text itself. */
function plainScalar(text: string): string | number | boolean {
  const probe = YAML.parseDocument(text);
  const c = probe.contents;
  const typed = probe.errors.length === 0 && isScalar(c) && c.type === 'PLAIN' && !c.comment && !probe.comment;
  return typed && (typeof c.value === 'number' || typeof c.value === 'boolean') ? c.value : text;
}

/** Offset of the deepest node on `path` that the document has: the key of a map entry, the item of a list. */
function offsetOf(doc: Document, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

/**
 * Zod's issues as problems of the file: an unknown key is named with the closest known one, a
 * union's failure by the member that came nearest to matching.
 */
function fileProblems(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, input: unknown, doc: Document, base: Path = []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const nearest = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      return fileProblems(nearest, schema, input, doc, path);
    }
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(schema, path, input);
      return issue.keys.map((key) => {
        const guess = closestWord(key, known);
        const hint = guess ? `did you mean ${guess}?` : `expected one of ${known.join(', ')}`;
        return { path: [...path, key], offset: offsetOf(doc, [...path, key]), message: `unknown key (${hint})` };
      });
    }
    return [{ path, offset: offsetOf(doc, path), message: issue.message }];
  });
}

function formatProblems(problems: readonly Problem[], lines: LineCounter): string {
  return problems
    .map((p) => {
      const at = p.offset === undefined ? undefined : lines.linePos(p.offset);
      return `  ${fieldPath(p.path)}: ${p.message}${at ? ` (line ${at.line}, column ${at.col})` : ''}`;
    })
    .join('\n');
}

/**
 * Reads a YAML or JSON file (JSON is YAML), substitutes env references and validates it; every
 * problem is reported at once, with its field path and line.
 */
export function loadConfigFile<S extends z.ZodType>(
  schema: S,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${doc.errors.map((e) => e.message).join('\n')}`);
  }
  const unset = substituteInDocument(doc, env, schema);
  if (unset.length) throw new ConfigError(`invalid config ${file}:\n${formatProblems(unset, lines)}`);
  const input: unknown = doc.toJS();
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(`invalid config ${file}:\n${formatProblems(fileProblems(result.error.issues, schema, input, doc), lines)}`);
  return result.data;
}

/** Resolves a path written in a config file relative to that file; URLs are left alone. */
export function resolveFromConfig(configFile: string, p: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p)) return p;
  return resolve(dirname(configFile), p);
}

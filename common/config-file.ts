import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { StreetWatchError } from './errors.js';

export class ConfigError extends StreetWatchError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

// A default may hold one level of braces, e.g. `${STREETWATCH_REDIS_PREFIX:-{sw}}`.
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^{}]|\{[^{}]*\})*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed document. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${path || '(root)'}: environment variable ${name} is not set and has no default`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

/** One line per problem, each naming the field path, e.g. `cameras[0].zones[1].polygon: ...`. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      return `  ${path || '(root)'}: ${i.message}`;
    })
    .join('\n');
}

export function parseWithSchema<S extends z.ZodType>(schema: S, doc: unknown, what: string): z.output<S> {
  const result = schema.safeParse(doc);
  if (!result.success) throw new ConfigError(`invalid ${what}:\n${formatZodIssues(result.error.issues)}`);
  return result.data;
}

/** Reads a YAML or JSON file (JSON is YAML), substitutes env references and validates it. */
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
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  return parseWithSchema(schema, substituteEnv(doc, env), `config ${file}`);
}

/** Resolves a path written in a config file relative to that file; URLs are left alone. */
export function resolveFromConfig(configFile: string, p: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p)) return p;
  return resolve(dirname(configFile), p);
}

/**
 * Config schema → JSON Schema file for editors (`# yaml-language-server: $schema=…` in the
 * examples): zod's own export in `input` mode, what a file may say, with defaults and descriptions.
 * Refinements (time zones, crossing polygon edges, unique ids) have no JSON Schema form: the
 * loader still checks them.
 */
import { z } from 'zod';
import { ENV_REF } from '../../common/config-file.js';

type Json = Record<string, unknown>;

const ENV_REFERENCE = '#/$defs/EnvReference';

/** Keywords that describe a field rather than constrain it: they stay outside the alternatives. */
const ANNOTATIONS = ['title', 'description', 'default', 'examples', 'deprecated'];

/**
 * A value the loader substitutes from the environment may stand where a number, a boolean or a
 * constrained string is expected (`fps: ${CAM_FPS:-10}`): such a field takes either.
 */
function allowEnvReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowEnvReferences);
  if (!node || typeof node !== 'object') return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, allowEnvReferences(v)]));
  const constrainedString = out.type === 'string' && ['pattern', 'format', 'minLength', 'maxLength'].some((k) => k in out);
  const scalar = out.type === 'number' || out.type === 'integer' || out.type === 'boolean' || constrainedString || ('enum' in out && !('type' in out && out.type === 'array'));
  if (!scalar) return out;
  const annotations = Object.fromEntries(Object.entries(out).filter(([k]) => ANNOTATIONS.includes(k)));
  const value = Object.fromEntries(Object.entries(out).filter(([k]) => !ANNOTATIONS.includes(k)));
  return { ...annotations, anyOf: [value, { $ref: ENV_REFERENCE }] };
}

export function configJsonSchema(schema: z.ZodType, title: string): string {
  const json = allowEnvReferences(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' })) as Json;
  const $defs = {
    ...(json.$defs as Json | undefined),
    EnvReference: {
      type: 'string',
      pattern: ENV_REF.source,
      description: '`${NAME}` or `${NAME:-default}`: replaced from the environment when the file is loaded (docs/configuration.md, *Loading rules*).',
    },
  };
  return `${JSON.stringify({ ...json, title, $defs }, null, 2)}\n`;
}

/**
 * Model manifests: one JSON file per model in models/manifests/, describing where the file comes
 * from, which exact files are accepted, and how to feed and read the network. Read at run time from
 * the project root so the same files serve `tsx` from source and `node dist/...`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../common/paths.js';
import { ModelError } from './errors.js';

export const manifestsDir = join(projectRoot, 'models', 'manifests');

/** Output heads this project knows how to read (decoders live in detector/decoders/). */
export const outputFormats = ['yolox', 'yolov8', 'y5fu-plate', 'plate-type'] as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
const baseName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a plain file name');

export const modelFileSchema = z.object({
  sha256,
  size: z.number().int().positive(),
  /** Where this exact file can be downloaded; files without one are accepted but never fetched. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  origin: z.string().optional(),
});

export const modelInputSchema = z.object({
  name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channelOrder: z.enum(['rgb', 'bgr']),
  /** '0-255': raw pixel values; '0-1': divided by 255. */
  pixelRange: z.enum(['0-255', '0-1']),
  /** letterbox: keep aspect ratio, image top-left, pad the rest; stretch: resize to the full input. */
  resize: z.enum(['letterbox', 'stretch']),
  /** Padding colour in 0-255 pixel units (scaled like the pixels). */
  padValue: z.number().min(0).max(255),
});

export const manifestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_.-]+$/, 'must be lower-case letters, digits, _ . -'),
    description: z.string().optional(),
    version: z.string().min(1),
    /** File name in the cache (`<cache>/models/<file>`). */
    file: baseName,
    /** Path under ../shared/models when it differs from `file` (e.g. `hyperlpr3/<file>`). */
    sharedPath: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'must be a relative path without ..')
      .refine((p) => !p.split('/').includes('..'), 'must not contain ..')
      .optional(),
    licence: z.string().min(1),
    files: z.array(modelFileSchema).min(1),
    input: modelInputSchema,
    output: z.object({ name: z.string().min(1), format: z.enum(outputFormats) }),
    /** Index = class id. */
    classNames: z.array(z.string().min(1)).min(1),
  })
  .refine((m) => new Set(m.files.map((f) => f.sha256)).size === m.files.length, {
    message: 'files: the same sha256 is listed twice',
    path: ['files'],
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ModelFile = z.infer<typeof modelFileSchema>;
export type ModelInput = z.infer<typeof modelInputSchema>;
export type OutputFormat = (typeof outputFormats)[number];

/** Names of all manifests, sorted. */
export function listManifestNames(dir = manifestsDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Parses and validates one manifest; errors name the file and the failing field path. */
export function parseManifest(json: unknown, source: string): ModelManifest {
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelError('MODEL_MANIFEST_INVALID', `invalid model manifest ${source}: ${issues}`);
  }
  return result.data;
}

/** Loads the manifest `models/manifests/<name>.json`. */
export function loadManifest(name: string, dir = manifestsDir): ModelManifest {
  const known = listManifestNames(dir);
  if (!known.includes(name)) {
    throw new ModelError('MODEL_UNKNOWN', `unknown model "${name}"; known models: ${known.join(', ')}`);
  }
  const file = join(dir, `${name}.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelError('MODEL_MANIFEST_INVALID', `invalid model manifest ${file}: ${(err as Error).message}`);
  }
  const manifest = parseManifest(json, file);
  if (manifest.name !== name) {
    throw new ModelError('MODEL_MANIFEST_INVALID', `invalid model manifest ${file}: name is "${manifest.name}", expected "${name}"`);
  }
  return manifest;
}

/** All manifests, sorted by name. */
export function listManifests(dir = manifestsDir): ModelManifest[] {
  return listManifestNames(dir).map((name) => loadManifest(name, dir));
}

/** The file to download by default: the first accepted file that has a URL. */
export function downloadFile(manifest: ModelManifest): (ModelFile & { url: string }) | undefined {
  return manifest.files.find((f): f is ModelFile & { url: string } => f.url !== undefined);
}

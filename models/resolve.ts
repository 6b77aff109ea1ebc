/** Finds a model file on disk and proves it is one of the files its manifest accepts. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir as defaultCacheDir, sharedDir as defaultSharedDir } from '../common/paths.js';
import { ModelError } from './errors.js';
import { digestFile } from './hash.js';
import { listManifestNames, listManifests, loadManifest, type ModelFile, type ModelManifest } from './manifest.js';

export interface ModelLocations {
  /** Cache root (as `cacheDir()`); models live in `<cacheDir>/models/`. */
  cacheDir?: string;
  /** The ../shared folder; `false` skips it (tests, or to force a download). */
  sharedDir?: string | false;
}

export interface ModelSpec {
  name?: string;
  path?: string;
}

export interface ResolvedModel {
  path: string;
  manifest: ModelManifest;
  /** Where it was found: an explicit path, the cache, or ../shared. */
  source: 'path' | 'cache' | 'shared';
}

export function cachedModelPath(manifest: ModelManifest, cacheRoot: string = defaultCacheDir()): string {
  return join(cacheRoot, 'models', manifest.file);
}

export function sharedModelPath(manifest: ModelManifest, shared: string = defaultSharedDir): string {
  return join(shared, 'models', manifest.sharedPath ?? manifest.file);
}

/** The accepted entry matching the file's sha256 and size, or a MODEL_CHECKSUM error naming both sides. */
export async function verifyModelFile(path: string, manifest: ModelManifest): Promise<ModelFile> {
  const { sha256, size } = await digestFile(path);
  const match = manifest.files.find((f) => f.sha256 === sha256 && f.size === size);
  if (match) return match;
  throw new ModelError('MODEL_CHECKSUM', checksumMessage(manifest, path, sha256, size));
}

export function checksumMessage(manifest: ModelManifest, file: string, sha256: string, size: number): string {
  const expected = manifest.files.map((f) => `${f.sha256} (${f.size} bytes)`).join(' or ');
  return `model file ${file} is not a known ${manifest.name} file: sha256 ${sha256} (${size} bytes), expected ${expected}`;
}

/**
 * The first valid copy in the cache, then ../shared. A copy that exists but fails the check is
 * skipped if a later one is valid; if none is valid its checksum error is thrown; if none exists,
 * undefined.
 */
export async function findModel(manifest: ModelManifest, opts: ModelLocations = {}): Promise<ResolvedModel | undefined> {
  const candidates: { path: string; source: 'cache' | 'shared' }[] = [
    { path: cachedModelPath(manifest, opts.cacheDir), source: 'cache' },
  ];
  if (opts.sharedDir !== false) candidates.push({ path: sharedModelPath(manifest, opts.sharedDir), source: 'shared' });
  let firstError: unknown;
  for (const c of candidates) {
    if (!existsSync(c.path)) continue;
    try {
      await verifyModelFile(c.path, manifest);
      return { path: c.path, manifest, source: c.source };
    } catch (err) {
      firstError ??= err;
    }
  }
  if (firstError) throw firstError;
  return undefined;
}

/**
 * An explicit path is used as-is (its manifest by name, else recognised by sha256); otherwise the
 * named model is looked up in the cache, then ../shared, and must match an accepted sha256.
 */
export async function resolveModel(spec: ModelSpec, opts: ModelLocations = {}): Promise<ResolvedModel> {
  if (spec.path !== undefined) return resolveExplicitPath(resolve(spec.path), spec.name);
  if (spec.name === undefined) throw new ModelError('MODEL_UNKNOWN', 'no model given: name a model or give a path to an .onnx file');
  const manifest = loadManifest(spec.name);
  const found = await findModel(manifest, opts);
  if (found) return found;
  const looked = [cachedModelPath(manifest, opts.cacheDir)];
  if (opts.sharedDir !== false) looked.push(sharedModelPath(manifest, opts.sharedDir));
  throw new ModelError(
    'MODEL_NOT_FOUND',
    `model ${manifest.name} is not installed (looked in ${looked.join(', ')}); run \`streetwatch models fetch ${manifest.name}\``,
  );
}

async function resolveExplicitPath(path: string, name: string | undefined): Promise<ResolvedModel> {
  if (!existsSync(path)) throw new ModelError('MODEL_NOT_FOUND', `model file ${path} does not exist`);
  // A named path may be a re-export or fine-tune of that model: trust the name, the detector
  // still checks the graph's input and output against the manifest when it loads.
  if (name !== undefined) return { path, manifest: loadManifest(name), source: 'path' };
  const { sha256 } = await digestFile(path);
  const manifest = listManifests().find((m) => m.files.some((f) => f.sha256 === sha256));
  if (manifest) return { path, manifest, source: 'path' };
  throw new ModelError(
    'MODEL_UNIDENTIFIED',
    `model file ${path} (sha256 ${sha256}) matches no manifest; also give the name of the manifest that describes its ` +
      `input and output (one of: ${listManifestNames().join(', ')})`,
  );
}

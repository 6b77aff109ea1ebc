/** Downloads a model into the cache, verifying its sha256 while it streams. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { commitFile } from '../common/atomic-write.js';
import { ModelError } from './errors.js';
import { downloadFile, loadManifest, type ModelManifest } from './manifest.js';
import { cachedModelPath, checksumMessage, findModel, type ModelLocations } from './resolve.js';

export interface FetchModelOptions extends ModelLocations {
  /** Download from here instead of the manifest's URL (a mirror); the file must still match. */
  url?: string;
  /** Download even if a valid copy is already present. */
  force?: boolean;
  /** Called per received chunk; `total` is the Content-Length, else the expected size if known. */
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** Path of a valid copy of model `name`: an existing one (cache, then ../shared) or a fresh download. */
export async function fetchModel(name: string, opts: FetchModelOptions = {}): Promise<string> {
  const manifest = loadManifest(name);
  if (!opts.force) {
    // A corrupt cached copy is not fatal here: the download below replaces it.
    const found = await findModel(manifest, opts).catch((err: unknown) => {
      if (err instanceof ModelError && err.code === 'MODEL_CHECKSUM') return undefined;
      throw err;
    });
    if (found) return found.path;
  }
  return downloadModel(manifest, opts);
}

/**
 * Streams the file to a temp file beside its final place, hashing as it goes; only a file whose
 * sha256 and size the manifest accepts is renamed into place (atomic on one file system), so the
 * cache never holds a partial or wrong model.
 */
export async function downloadModel(manifest: ModelManifest, opts: FetchModelOptions = {}): Promise<string> {
  const url = opts.url ?? downloadFile(manifest)?.url;
  if (!url) {
    throw new ModelError('MODEL_DOWNLOAD', `model ${manifest.name} has no download URL; give one with --url`);
  }
  return downloadVerified({
    what: manifest.name,
    url,
    dest: cachedModelPath(manifest, opts.cacheDir),
    files: manifest.files,
    expectedSize: manifest.files.find((f) => f.url === url)?.size,
    describeExpected: (sha256, size) => checksumMessage(manifest, `downloaded from ${url}`, sha256, size),
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
}

export interface VerifiedDownload {
  /** Named in messages, e.g. the model name. */
  what: string;
  url: string;
  dest: string;
  /** The accepted files: the download must be one of them, byte for byte. */
  files: readonly { sha256: string; size: number }[];
  /** Size to show progress against when the server sends no Content-Length. */
  expectedSize?: number;
  /** The message for a download that is none of `files`. */
  describeExpected?: (sha256: string, size: number) => string;
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/**
 * Streams `url` to a temp file beside `dest`, hashing as it goes; only a file that is one of
 * `files` (sha256 and size) is renamed into place (atomic on one file system), so `dest` never holds
 * a partial or wrong file.
 */
export async function downloadVerified(d: VerifiedDownload): Promise<string> {
  const { what, url, dest } = d;
  await mkdir(dirname(dest), { recursive: true });
  const temp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  const expected = () => d.files.map((f) => `${f.sha256} (${f.size} bytes)`).join(' or ');

  let response: Response;
  try {
    response = await fetch(url, { signal: d.signal, redirect: 'follow' });
  } catch (err) {
    throw new ModelError('MODEL_DOWNLOAD', `download of ${what} from ${url} failed: ${describe(err)}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new ModelError('MODEL_DOWNLOAD', `download of ${what} from ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }

  const contentLength = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(contentLength) ? contentLength : d.expectedSize;
  // No accepted file is larger than this: stop early instead of filling the disk with a wrong file.
  const maxSize = Math.max(...d.files.map((f) => f.size));

  const hash = createHash('sha256');
  let received = 0;
  const reader = response.body.getReader();
  const out = await open(temp, 'wx');
  let renamed = false;
  try {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > maxSize) {
          await reader.cancel();
          throw new ModelError('MODEL_CHECKSUM', `download of ${what} from ${url} is not a known ${what} file: more than ${maxSize} bytes, expected ${expected()}`);
        }
        hash.update(value);
        await out.write(value);
        d.onProgress?.(received, total);
      }
    } catch (err) {
      if (err instanceof ModelError) throw err;
      const of = total !== undefined ? ` of ${total}` : '';
      throw new ModelError('MODEL_DOWNLOAD', `download of ${what} from ${url} failed after ${received}${of} bytes: ${describe(err)}`);
    }
    await out.sync();
    await out.close();
    const sha256 = hash.digest('hex');
    if (!d.files.some((f) => f.sha256 === sha256 && f.size === received)) {
      throw new ModelError('MODEL_CHECKSUM', d.describeExpected?.(sha256, received) ?? `download of ${what} from ${url} has sha256 ${sha256} (${received} bytes), expected ${expected()}`);
    }
    await commitFile(temp, dest);
    renamed = true;
    return dest;
  } finally {
    await out.close().catch(() => {});
    if (!renamed) await rm(temp, { force: true });
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}

/**
 * The demo's clip: `--video`, else the copy in ../shared beside the project, else a verified
 * download of the same file from OpenCV's sample data into the cache.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StreetWatchError } from '../common/errors.js';
import { cacheDir, sharedDir } from '../common/paths.js';
import { digestFile } from '../models/hash.js';
import { downloadVerified } from '../models/fetch.js';
import type { OnProgress } from '../models/progress.js';

/** OpenCV's sample clip at a fixed release, so its bytes (and sha256) never change. */
export const DEMO_CLIP = {
  url: 'https://raw.githubusercontent.com/opencv/opencv/4.6.0/samples/data/vtest.avi',
  sha256: '45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf',
  size: 8_131_690,
};

export interface ClipLocations {
  /** Default: ../shared beside the project. */
  sharedDir?: string;
  /** Default: the cache root (`STREETWATCH_CACHE`, …). */
  cacheDir?: string;
  /** A mirror of the same file (`STREETWATCH_DEMO_CLIP_URL`); its bytes must still match. */
  url?: string;
}

export async function demoClip(video: string | undefined, onProgress?: OnProgress, where: ClipLocations = {}): Promise<string> {
  if (video) {
    const path = resolve(video);
    if (!existsSync(path)) throw new StreetWatchError('DEMO_VIDEO', `--video ${video}: no such file`);
    return path;
  }
  const shared = join(where.sharedDir ?? sharedDir, 'fixtures', 'vtest.avi');
  if (existsSync(shared)) return shared;
  const cached = join(where.cacheDir ?? cacheDir(), 'fixtures', 'vtest.avi');
  if (existsSync(cached) && (await digestFile(cached)).sha256 === DEMO_CLIP.sha256) return cached;
  const url = where.url ?? (process.env.STREETWATCH_DEMO_CLIP_URL || DEMO_CLIP.url);
  return downloadVerified({ what: 'vtest.avi', url, dest: cached, files: [DEMO_CLIP], expectedSize: DEMO_CLIP.size, onProgress });
}

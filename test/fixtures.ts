/** Real footage and images from ../shared, cut and decoded with ffmpeg for tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { sharedDir } from '../common/paths.js';
import type { RgbFrame } from '../detector/types.js';

export const VTEST = join(sharedDir, 'fixtures', 'vtest.avi');
export const YOLOX_NANO = join(sharedDir, 'models', 'yolox_nano.onnx');
export const PLATES_DIR = join(sharedDir, 'fixtures', 'plates');
export const VTEST_SIZE = { width: 768, height: 576 };

export function tempDir(prefix = 'sw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Decodes the frame of `video` at `seconds` into packed RGB. */
export function frameAt(seconds: number, video = VTEST, size = VTEST_SIZE): RgbFrame {
  const data = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (data.length !== size.width * size.height * 3) {
    throw new Error(`frameAt(${seconds}): got ${data.length} bytes, expected ${size.width}x${size.height}x3`);
  }
  return { width: size.width, height: size.height, data };
}

/** `count` frames of `video` from `seconds` on at `fps`, decoded by one ffmpeg run rather than one per frame. */
export function framesAt(seconds: number, count: number, fps: number, video = VTEST, size = VTEST_SIZE): RgbFrame[] {
  const bytes = size.width * size.height * 3;
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-ss', String(seconds), '-i', video, '-vf', `fps=${fps}`, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: count * bytes + 1 },
  );
  if (raw.length !== count * bytes) throw new Error(`framesAt(${seconds}): got ${raw.length} bytes, expected ${count} frames of ${size.width}x${size.height}x3`);
  // Each frame in a buffer of its own, as the video source's are (a worker detector moves, not copies, them).
  return Array.from({ length: count }, (_, i) => ({ width: size.width, height: size.height, data: Buffer.from(raw.subarray(i * bytes, (i + 1) * bytes)) }));
}

/**
 * Writes a variant of the clip made with ffmpeg: `seconds` cuts it (`-t`), `filter` is a -vf chain
 * (e.g. `eq=brightness=-0.2`, `noise=alls=20:allf=t`, `scale=384:288`).
 */
export function makeClip(out: string, opts: { seconds?: number; filter?: string; codec?: string; input?: string; fps?: number } = {}): string {
  const args = ['-v', 'error', '-y', '-i', opts.input ?? VTEST];
  if (opts.seconds !== undefined) args.push('-t', String(opts.seconds));
  const filters = [opts.fps ? `fps=${opts.fps}` : '', opts.filter ?? ''].filter(Boolean);
  if (filters.length) args.push('-vf', filters.join(','));
  args.push('-c:v', opts.codec ?? 'mpeg4', '-q:v', '3', '-an', out);
  execFileSync('ffmpeg', args);
  return out;
}

/** A plain JPEG, for photos a test sends as an officer's scene photo or a camera's evidence. */
export function sceneJpeg(width = 1280, height = 960, background = { r: 90, g: 110, b: 130 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } }).jpeg().toBuffer();
}

/**
 * Clips the evaluation set makes from the example footage instead of keeping video in the
 * repository: each recipe is one ffmpeg filter over ../shared/fixtures/vtest.avi, written into a
 * cache folder the first time a labels file asks for it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../common/config-file.js';
import { sharedDir } from '../../common/paths.js';

export const EXAMPLE_CLIP = join(sharedDir, 'fixtures', 'vtest.avi');

/**
 * The picture moved up to `px` each way (3-4 Hz) between `from` and `to` seconds: padded with
 * black and cropped back to 768x576 at a moving offset. Outside the window the frame is the
 * original one, so the labels' boxes stay where they are.
 */
const shake = (px: number, from: number, to: number) => {
  const on = `between(t,${from},${to})`;
  return `pad=iw+${2 * px}:ih+${2 * px}:${px}:${px},crop=768:576:x='${px}+${px}*sin(2*PI*t*3)*${on}':y='${px}+${px}*cos(2*PI*t*4)*${on}'`;
};

/** Recipe name → the ffmpeg -vf chain that makes its clip from the example one. */
export const RECIPES: Readonly<Record<string, string>> = {
  // Bright (+0.2) to dark (-0.25) linearly over the 80 s, as at dusk.
  'brightness-ramp': "eq=brightness='0.2-0.45*t/80':eval=frame",
  // Shakes from 10 s to 13 s, while the parked vehicles wait out their 30 s dwell.
  'shake-during-dwell': shake(16, 10, 13),
  'shake-hard-during-dwell': shake(48, 10, 13),
  // Shakes from 40 s to 43 s, after the parked vehicles were discovered.
  'shake-hard-after-discovery': shake(48, 40, 43),
};

/** The recipe's clip in `cacheDir`, made with ffmpeg first when it is not there yet. */
export async function generatedClip(name: string, cacheDir: string, source = EXAMPLE_CLIP): Promise<string> {
  const filter = RECIPES[name];
  if (!filter) throw new ConfigError(`generate: no recipe "${name}" (have ${Object.keys(RECIPES).join(', ')})`);
  // The filter's hash in the name: a changed recipe makes a new clip instead of reusing the old one.
  const out = join(cacheDir, `${name}-${createHash('sha256').update(filter).digest('hex').slice(0, 8)}.mp4`);
  if (existsSync(out)) return out;
  if (!existsSync(source)) throw new ConfigError(`generate: ${name}: source clip ${source} not found`);
  mkdirSync(cacheDir, { recursive: true });
  // Written under another name and renamed, so an interrupted run leaves no half clip to reuse.
  const partial = `${out}.partial.mp4`;
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-i', source, '-vf', filter, '-c:v', 'mpeg4', '-q:v', '3', '-an', partial]);
  renameSync(partial, out);
  return out;
}

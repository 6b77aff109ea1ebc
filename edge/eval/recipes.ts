/**
 * Clips the evaluation set makes from the example footage instead of keeping video in the
 * repository: each recipe is one ffmpeg filter over ../shared/fixtures/vtest.avi, written into a
 * cache folder the first time a labels file asks for it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../common/config-file.js';
import { sharedDir } from '../../common/paths.js';

export interface Recipe {
  description: string;
  /** ffmpeg -vf chain applied to the source clip. */
  filter: string;
}

export const EXAMPLE_CLIP = join(sharedDir, 'fixtures', 'vtest.avi');

// A 768x576 frame cropped by 32 px and scaled back: the picture can move 16 px each way.
const shake = (from: number, to: number) => {
  const on = `between(t,${from},${to})`;
  return `crop=iw-32:ih-32:x='16+16*sin(2*PI*t*3)*${on}':y='16+16*cos(2*PI*t*4)*${on}',scale=768:576`;
};

export const RECIPES: Readonly<Record<string, Recipe>> = {
  'brightness-ramp': {
    description: 'the example clip going from bright (+0.2) to dark (-0.25) linearly over its 80 s, as at dusk',
    filter: "eq=brightness='0.2-0.45*t/80':eval=frame",
  },
  'shake-during-dwell': {
    description: 'the example clip with the camera shaking (±16 px, 3-4 Hz) from 10 s to 13 s, while the vehicles wait out their dwell',
    filter: shake(10, 13),
  },
  'shake-after-discovery': {
    description: 'the example clip with the camera shaking (±16 px, 3-4 Hz) from 40 s to 43 s, after the vehicles were discovered',
    filter: shake(40, 43),
  },
};

/** The recipe's clip in `cacheDir`, made with ffmpeg first when it is not there yet. */
export async function generatedClip(name: string, cacheDir: string, source = EXAMPLE_CLIP): Promise<string> {
  const recipe = RECIPES[name];
  if (!recipe) throw new ConfigError(`generate: no recipe "${name}" (have ${Object.keys(RECIPES).join(', ')})`);
  const out = join(cacheDir, `${name}.mp4`);
  if (existsSync(out)) return out;
  if (!existsSync(source)) throw new ConfigError(`generate: ${name}: source clip ${source} not found`);
  mkdirSync(cacheDir, { recursive: true });
  // Written under another name and renamed, so an interrupted run leaves no half clip to reuse.
  const partial = join(cacheDir, `${name}.partial.mp4`);
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-i', source, '-vf', recipe.filter, '-c:v', 'mpeg4', '-q:v', '3', '-an', partial]);
  renameSync(partial, out);
  return out;
}

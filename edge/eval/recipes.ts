/**
 * Clips the evaluation set makes from the example footage instead of keeping video in the
 * repository: each recipe is one ffmpeg filter graph over ../shared/fixtures/vtest.avi, written
 * into a cache folder the first time a labels file asks for it. Objects the model knows (vehicles,
 * people) are pasted in as real pixels cut from the same footage; stalls, which have no COCO class,
 * are drawn with lavfi sources.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../common/config-file.js';
import { sharedDir } from '../../common/paths.js';

export const EXAMPLE_CLIP = join(sharedDir, 'fixtures', 'vtest.avi');
const FPS = 10;

export interface Recipe {
  /** ffmpeg -filter_complex graph: [0:v] is the example clip, [1:v].. the inputs of `stills`; the clip is [out]. */
  graph: string;
  /** Seconds into the example clip of further inputs, one per still the graph cuts out. */
  stills?: readonly number[];
  /** Length of the clip in seconds; none: as long as the example clip. */
  seconds?: number;
}

/** A filter chain applied to every frame of the example clip. */
const chain = (vf: string): Recipe => ({ graph: `[0:v]${vf}[out]` });

/**
 * The picture moved up to `px` each way (3-4 Hz) between `from` and `to` seconds: padded with
 * black and cropped back to 768x576 at a moving offset. Outside the window the frame is the
 * original one, so the labels' boxes stay where they are.
 */
const shake = (px: number, from: number, to: number) => {
  const on = `between(t,${from},${to})`;
  return chain(`pad=iw+${2 * px}:ih+${2 * px}:${px}:${px},crop=768:576:x='${px}+${px}*sin(2*PI*t*3)*${on}':y='${px}+${px}*cos(2*PI*t*4)*${on}'`);
};

/** Something pasted over the clip: a rectangle cut from the example clip at `at` seconds, or a lavfi source chain. */
type Sprite = { at: number; x: number; y: number; w: number; h: number; scale?: number } | { lavfi: string };
/** Where the sprite's top left corner is at `t` seconds, in pixels; it shows from the first key to the last. */
type Key = readonly [t: number, x: number, y: number];
interface Layer {
  sprite: Sprite;
  path: readonly Key[];
  /** Sideways sway in pixels (0.3 Hz), as a person standing does. */
  sway?: number;
}

// Cut from the example clip: the white van parked at the top right, and a man in a dark coat
// walking across the plaza.
const VAN: Sprite = { at: 30, x: 652, y: 44, w: 72, h: 57, scale: 1.25 };
const PERSON: Sprite = { at: 30, x: 319, y: 211, w: 29, h: 89, scale: 1.1 };

/**
 * A market stall seen from above: a blue tarp on the ground with crates and heaps of goods on it,
 * grainy with noise changing every frame, as cloth and goods in video are, not flat colour.
 */
const STALL: Sprite = {
  lavfi: [
    `color=c=0x2f5f9a:s=112x64:r=${FPS}`,
    'drawbox=x=6:y=6:w=30:h=22:c=0x8a5a2e:t=fill',
    'drawbox=x=6:y=6:w=30:h=22:c=0x4a2c12:t=2',
    'drawbox=x=40:y=8:w=28:h=20:c=0xd9822b:t=fill',
    'drawbox=x=72:y=6:w=34:h=24:c=0x8a5a2e:t=fill',
    'drawbox=x=72:y=6:w=34:h=24:c=0x4a2c12:t=2',
    'drawbox=x=10:y=36:w=40:h=20:c=0x6b8e23:t=fill',
    'drawbox=x=56:y=36:w=48:h=22:c=0xc23b22:t=fill',
    'noise=alls=30:allf=t',
  ].join(','),
};

/** Piecewise linear in t through the keys' values; held at the ends. */
function along(keys: readonly (readonly [number, number])[]): string {
  const [[, last]] = keys.slice(-1);
  return keys
    .slice(0, -1)
    .reduceRight((rest, [t0, v0], i) => {
      const [t1, v1] = keys[i + 1]!;
      return `if(lt(t,${t1}),${v0}+${v1 - v0}*(t-${t0})/${t1 - t0},${rest})`;
    }, String(last));
}

/** The example clip with each layer pasted over it in order (later ones in front). */
function composite(seconds: number, layers: readonly Layer[]): Recipe {
  const stills: number[] = [];
  const parts = layers.map(({ sprite, path, sway }, i) => {
    let source: string;
    if ('lavfi' in sprite) source = sprite.lavfi;
    else {
      stills.push(sprite.at);
      const scale = sprite.scale ? `,scale=iw*${sprite.scale}:-2` : '';
      source = `[${stills.length}:v]trim=end_frame=1,crop=${sprite.w}:${sprite.h}:${sprite.x}:${sprite.y}${scale},loop=loop=-1:size=1,setpts=N/${FPS}/TB`;
    }
    const x = along(path.map(([t, px]) => [t, px] as const)) + (sway ? `+${sway}*sin(2*PI*0.3*t)` : '');
    const y = along(path.map(([t, , py]) => [t, py] as const));
    const into = i === layers.length - 1 ? 'out' : `v${i}`;
    const enable = `between(t,${path[0]![0]},${path[path.length - 1]![0]})`;
    return `${source}[s${i}];[${i === 0 ? '0:v' : `v${i - 1}`}][s${i}]overlay=x='${x}':y='${y}':enable='${enable}':shortest=1[${into}]`;
  });
  return { graph: parts.join(';'), stills, seconds };
}

/** A vehicle that comes down the road from the top right, stops at (x, y) from `stop` to `go`, then drives off to the bottom right. */
const stopOnRoad = (x: number, y: number, stop: number, go: number): Layer => ({
  sprite: VAN,
  path: [[stop - 3, 590, 100], [stop, x, y], [go, x, y], [go + 3, 780, 430]],
});

/** Where the stall lies on the plaza pavement, in the no_vending zone, and where its keeper stands. */
const STALL_AT = { x: 470, y: 262 };
const stall = (from: number, to: number): Layer => ({ sprite: STALL, path: [[from, STALL_AT.x, STALL_AT.y], [to, STALL_AT.x, STALL_AT.y]] });
const keeper = (from: number, to: number): Layer => ({ sprite: PERSON, path: [[from, STALL_AT.x + 116, STALL_AT.y - 36], [to, STALL_AT.x + 116, STALL_AT.y - 36]], sway: 3 });

/** Recipe name → how its clip is made from the example one. */
export const RECIPES: Readonly<Record<string, Recipe>> = {
  // Bright (+0.2) to dark (-0.25) linearly over the 80 s, as at dusk.
  'brightness-ramp': chain("eq=brightness='0.2-0.45*t/80':eval=frame"),
  // Shakes from 10 s to 13 s, while the parked vehicles wait out their 30 s dwell.
  'shake-during-dwell': shake(16, 10, 13),
  'shake-hard-during-dwell': shake(48, 10, 13),
  // Shakes from 40 s to 43 s, after the parked vehicles were discovered.
  'shake-hard-after-discovery': shake(48, 40, 43),
  // Two vans stop bumper to bumper on the road 2 s apart (at 5 s and 7 s), stand 40 s, drive off together.
  'queue-moving-off': composite(55, [stopOnRoad(612, 196, 7, 47), stopOnRoad(632, 272, 5, 46)]),
  // One van stops on the road from 5 s to 45 s (40 s), then drives off.
  'delivery-stop': composite(52, [stopOnRoad(632, 272, 5, 45)]),
  // A stall appears on the plaza at 10 s and stays; its keeper stands beside it from 12 s to 55 s.
  'stall-appears': composite(60, [stall(10, 60), keeper(12, 55)]),
  // The same stall from 5 s to 50 s, its keeper beside it all that time.
  'stall-removed': composite(60, [stall(5, 50), keeper(5, 50)]),
  // The stall from 5 s to the end with nobody near it.
  'goods-left': composite(60, [stall(5, 60)]),
  // The stall there from the first frame (learnt as scene) and taken away at 20 s: its place is pavement, not a new object.
  'stall-taken-away': composite(60, [stall(0, 20)]),
  // A man stands still on the plaza from 5 s to 60 s; nothing else is added.
  'person-standing': composite(65, [{ ...keeper(5, 65), sway: 1 }]),
};

/** The ffmpeg arguments that write `recipe`'s clip made from `source` to `out`. */
export function recipeArgs(recipe: Recipe, source: string, out: string): string[] {
  return [
    '-v', 'error', '-y', '-i', source,
    ...(recipe.stills ?? []).flatMap((at) => ['-ss', String(at), '-i', source]),
    '-filter_complex', recipe.graph, '-map', '[out]',
    ...(recipe.seconds === undefined ? [] : ['-t', String(recipe.seconds)]),
    '-r', String(FPS), '-c:v', 'mpeg4', '-q:v', '3', '-an', out,
  ];
}

/** The recipe's clip in `cacheDir`, made with ffmpeg first when it is not there yet. */
export async function generatedClip(name: string, cacheDir: string, source = EXAMPLE_CLIP): Promise<string> {
  const recipe = RECIPES[name];
  if (!recipe) throw new ConfigError(`generate: no recipe "${name}" (have ${Object.keys(RECIPES).join(', ')})`);
  // The recipe's hash in the name: a changed recipe makes a new clip instead of reusing the old one.
  const out = join(cacheDir, `${name}-${createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 8)}.mp4`);
  if (existsSync(out)) return out;
  if (!existsSync(source)) throw new ConfigError(`generate: ${name}: source clip ${source} not found`);
  mkdirSync(cacheDir, { recursive: true });
  // Written under another name and renamed, so an interrupted run leaves no half clip to reuse.
  const partial = `${out}.partial.mp4`;
  await promisify(execFile)('ffmpeg', recipeArgs(recipe, source, partial));
  renameSync(partial, out);
  return out;
}

/** `streetwatch plate read`: the plate reader over image files, videos and folders of them. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { StreetWatchError } from '../common/errors.js';
import { openVideoSource } from '../edge/adapters/video-source.js';
import type { RgbFrame } from '../detector/types.js';
import type { PlateReading } from '../detector/plate/types.js';

interface ReadOptions {
  json?: boolean;
  model: string;
  fps: number;
  format?: string;
  minConfidence: number;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);
const VIDEO_EXTENSIONS = new Set(['.avi', '.mp4', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg', '.ts', '.flv', '.wmv']);

export function registerPlateCommands(program: Command): Command {
  const plate = program.command('plate').description('licence plates: find and read them');

  plate
    .command('read')
    .description('read the licence plates in images (jpg, png, webp, tif), videos and folders of them; a file or frame without a valid, confident read prints "unread"')
    .argument('<files...>', 'image or video files, or folders (their images and videos, not subfolders)')
    .option('--json', 'one JSON object per line: per plate read, or per file/frame left unread')
    .option('--model <name|path>', 'plate detector: y5fu_640x_sim, y5fu_320x_sim or an .onnx file', 'y5fu_640x_sim')
    .option('--fps <n>', 'frames per second to read from videos', numberIn('--fps', 0, Infinity, false), 1)
    .option('--format <regex>', 'valid plate text, matched whole (default: mainland plates, standard and new-energy)')
    .option('--min-confidence <0..1>', 'lowest recogniser confidence reported as a read', numberIn('--min-confidence', 0, 1, true), 0.8)
    .action(async (args: string[], opts: ReadOptions) => {
      const files = expandInputs(args);
      // onnxruntime and sharp load with the command, not with every `streetwatch` start.
      const [{ loadPlateReader }, { readImageFile }] = await Promise.all([import('../detector/plate/plate-reader.js'), import('../detector/plate/image-file.js')]);
      const reader = await loadPlateReader({ detector: opts.model, format: opts.format });
      const print = (where: Where, readings: PlateReading[]) => {
        const lines = opts.json ? jsonLines(where, readings, opts.minConfidence) : textLines(where, readings, opts.minConfidence);
        process.stdout.write(lines.map((l) => `${l}\n`).join(''));
      };
      try {
        for (const file of files) {
          if (VIDEO_EXTENSIONS.has(extname(file).toLowerCase())) {
            for await (const { frame, ptsMs, index } of videoFrames(file, opts.fps)) print({ file, frame: index, ptsMs }, await reader.read(frame));
          } else {
            print({ file }, await reader.read(await readImageFile(file)));
          }
        }
      } finally {
        await reader.close();
      }
    });

  return plate;
}

/** Which file (and for videos which frame) a line is about. */
interface Where {
  file: string;
  frame?: number;
  ptsMs?: number;
}

/** Files as given, folders as their image and video files (sorted); a missing one is an error before any work. */
function expandInputs(args: string[]): string[] {
  return args.flatMap((arg) => {
    if (!existsSync(arg)) throw new StreetWatchError('PLATE_INPUT', `${arg}: no such file or folder`);
    if (!statSync(arg).isDirectory()) return [arg];
    const media = readdirSync(arg)
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()) || VIDEO_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort()
      .map((f) => join(arg, f));
    if (media.length === 0) throw new StreetWatchError('PLATE_INPUT', `${arg}: no images or videos in this folder`);
    return media;
  });
}

async function* videoFrames(file: string, fps: number): AsyncGenerator<{ frame: RgbFrame; ptsMs: number; index: number }> {
  // A file, read as fast as we take frames: nothing is dropped, and the reconnect settings never apply.
  const source = await openVideoSource({ source: file, fps, mode: 'fast', watchdogSeconds: 30, reconnect: { initialMs: 1000, maxMs: 1000 } });
  try {
    yield* source;
  } finally {
    await source.stop();
  }
}

/** The readings reported as plates; the rest are unread, however plausible they look. */
function accepted(readings: PlateReading[], minConfidence: number): PlateReading[] {
  return readings.filter((r) => r.valid && r.confidence >= minConfidence);
}

function textLines(where: Where, readings: PlateReading[], minConfidence: number): string[] {
  const label = where.ptsMs === undefined ? where.file : `${where.file} ${(where.ptsMs / 1000).toFixed(1)}s`;
  const plates = accepted(readings, minConfidence);
  if (plates.length > 0) return plates.map((r) => `${label}\t${r.text}\t${r.confidence.toFixed(2)}\t${boxText(r)}`);
  const best = readings.find((r) => r.text !== '');
  if (!best) return [`${label}\tunread`];
  const why = best.valid ? `confidence ${best.confidence.toFixed(2)} < ${minConfidence}` : 'not a valid plate';
  return [`${label}\tunread\t(read "${best.raw}": ${why})`];
}

function jsonLines(where: Where, readings: PlateReading[], minConfidence: number): string[] {
  const plates = accepted(readings, minConfidence);
  if (plates.length > 0) return plates.map((r) => JSON.stringify({ ...where, plate: r.text, ...details(r) }));
  // Unread: what was seen, if anything, so a reviewer can tell "no plate" from "plate, unreadable".
  const best = readings[0];
  return [JSON.stringify({ ...where, plate: null, ...(best ? details(best) : { confidence: null, score: null, box: null, corners: null, raw: null }) })];
}

function details(r: PlateReading) {
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    confidence: Number(r.confidence.toFixed(3)),
    score: Number(r.score.toFixed(3)),
    type: r.type,
    box: { x1: round(r.box.x1), y1: round(r.box.y1), x2: round(r.box.x2), y2: round(r.box.y2) },
    corners: r.corners.map((p) => ({ x: round(p.x), y: round(p.y) })),
    raw: r.raw,
    valid: r.valid,
  };
}

function boxText(r: PlateReading): string {
  const { x1, y1, x2, y2 } = r.box;
  return [x1, y1, x2, y2].map((v) => Math.round(v)).join(',');
}

function numberIn(name: string, min: number, max: number, inclusiveMin: boolean): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n > max || (inclusiveMin ? n < min : n <= min)) {
      throw new InvalidArgumentError(`${name} must be a number ${inclusiveMin ? '≥' : '>'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}, got "${v}"`);
    }
    return n;
  };
}

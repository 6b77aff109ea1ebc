/**
 * Object detector on onnxruntime-node: letterbox → run → decode → per-class thresholds → NMS →
 * source pixels. One session and one input buffer per detector, shared by all cameras, so calls
 * are queued rather than run concurrently on the same buffer.
 */
import * as ort from 'onnxruntime-node';
import { StreetWatchError } from '../common/errors.js';
import { ModelError } from '../models/errors.js';
import type { ModelManifest } from '../models/manifest.js';
import { decoderFor, decoders, type Candidate, type Decoder } from './decoders/index.js';
import { letterbox, toSourceBox, type LetterboxTransform } from './letterbox.js';
import { nms, nmsGroupTable } from './nms.js';
import { SerialQueue } from './serial-queue.js';
import type { Detector, ObjectBox, PixelBox, RgbFrame } from './types.js';

export interface OnnxDetectorOptions {
  modelPath: string;
  manifest: ModelManifest;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** Minimum score for every class without its own threshold (default 0.3). */
  scoreThreshold?: number;
  /** Per-label minimum score, e.g. `{ person: 0.4, truck: 0.25 }`; labels must be class names. */
  classThresholds?: Record<string, number>;
  /** IoU above which a lower-scoring box of the same class is dropped (default 0.45). */
  nmsIou?: number;
  /**
   * Groups of labels that NMS treats as one class, e.g. `[['car', 'truck', 'bus']]`: the van in
   * vtest.avi scores as car and truck at once and would otherwise come out as two objects.
   * Default: none (plain class-aware NMS).
   */
  nmsMergeClasses?: string[][];
}

export interface DetectTimings {
  /** Letterbox into the input tensor. */
  preprocessMs: number;
  /** `session.run` alone. */
  inferMs: number;
  /** Decode, thresholds, NMS and mapping back. */
  postprocessMs: number;
}

export interface OnnxDetector extends Detector {
  readonly manifest: ModelManifest;
  /** As `detect`, with per-stage times; `region` limits detection to a part of the frame (a crop). */
  detectTimed(frame: RgbFrame, region?: PixelBox): Promise<{ objects: ObjectBox[]; timings: DetectTimings }>;
}

export async function createOnnxDetector(opts: OnnxDetectorOptions): Promise<OnnxDetector> {
  const { manifest } = opts;
  const decode = decoderFor(manifest.output.format);
  if (!decode) {
    throw new ModelError(
      'MODEL_MISMATCH',
      `model ${manifest.name} has output format "${manifest.output.format}", which is not an object detector head (known: ${Object.keys(decoders).join(', ')})`,
    );
  }
  const minScores = classMinScores(manifest.classNames, opts.scoreThreshold ?? 0.3, opts.classThresholds ?? {});
  const nmsIou = opts.nmsIou ?? 0.45;
  const nmsGroups = nmsGroupTable(manifest.classNames, opts.nmsMergeClasses ?? []);

  const session = await ort.InferenceSession.create(opts.modelPath, {
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    logSeverityLevel: 3, // initializer-as-input warnings from some exports are noise
  });
  try {
    checkGraph(session, manifest, opts.modelPath);
  } catch (err) {
    await session.release();
    throw err;
  }

  return new OnnxDetectorImpl(session, manifest, decode, minScores, nmsIou, nmsGroups);
}

class OnnxDetectorImpl implements OnnxDetector {
  readonly classNames: readonly string[];
  readonly inputSize: { width: number; height: number };
  private readonly input: Float32Array;
  private readonly tensor: ort.Tensor;
  private readonly queue = new SerialQueue();
  private readonly minScore: number;
  private closed = false;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
    private readonly decode: Decoder,
    private readonly minScores: Float32Array,
    private readonly nmsIou: number,
    private readonly nmsGroups: Int32Array,
  ) {
    this.classNames = manifest.classNames;
    const { width, height } = manifest.input;
    this.inputSize = { width, height };
    this.input = new Float32Array(3 * width * height);
    // The tensor wraps `input`; refilling the array in place is enough for the next run.
    this.tensor = new ort.Tensor('float32', this.input, [1, 3, height, width]);
    this.minScore = Math.min(...minScores);
  }

  async detect(frame: RgbFrame, region?: PixelBox): Promise<ObjectBox[]> {
    return (await this.detectTimed(frame, region)).objects;
  }

  detectTimed(frame: RgbFrame, region?: PixelBox): Promise<{ objects: ObjectBox[]; timings: DetectTimings }> {
    if (this.closed) return Promise.reject(new StreetWatchError('DETECTOR_CLOSED', 'detector is closed'));
    return this.queue.run(() => this.run(frame, region));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    await this.session.release();
  }

  private async run(frame: RgbFrame, region?: PixelBox): Promise<{ objects: ObjectBox[]; timings: DetectTimings }> {
    const t0 = performance.now();
    const lb = letterbox(frame, this.manifest.input, this.input, region);
    const t1 = performance.now();
    const results = await this.session.run({ [this.manifest.input.name]: this.tensor });
    const t2 = performance.now();
    const output = results[this.manifest.output.name];
    const candidates = this.decode(output.data as Float32Array, output.dims, {
      inputWidth: this.manifest.input.width,
      inputHeight: this.manifest.input.height,
      numClasses: this.classNames.length,
      minScore: this.minScore,
    });
    const whole = { x1: 0, y1: 0, x2: frame.width, y2: frame.height };
    const seen = region ? { x1: Math.max(0, region.x1), y1: Math.max(0, region.y1), x2: Math.min(frame.width, region.x2), y2: Math.min(frame.height, region.y2) } : whole;
    const objects = this.finish(candidates, lb, seen);
    output.dispose();
    const t3 = performance.now();
    return { objects, timings: { preprocessMs: t1 - t0, inferMs: t2 - t1, postprocessMs: t3 - t2 } };
  }

  /** Boxes in source pixels, cut to what the model saw (the frame, or the region). */
  private finish(candidates: Candidate[], lb: LetterboxTransform, seen: PixelBox): ObjectBox[] {
    const passing = candidates.filter((c) => c.score >= this.minScores[c.classId]);
    const objects: ObjectBox[] = [];
    for (const c of nms(passing, this.nmsIou, this.nmsGroups)) {
      const b = toSourceBox(c.box, lb);
      const box = {
        x1: clamp(b.x1, seen.x1, seen.x2),
        y1: clamp(b.y1, seen.y1, seen.y2),
        x2: clamp(b.x2, seen.x1, seen.x2),
        y2: clamp(b.y2, seen.y1, seen.y2),
      };
      if (box.x2 - box.x1 < 1 || box.y2 - box.y1 < 1) continue; // entirely in the padding
      objects.push({ box, classId: c.classId, label: this.classNames[c.classId], score: c.score });
    }
    return objects;
  }
}

/** Per-class-id minimum score; unknown labels are an error so a typo cannot silently do nothing. */
function classMinScores(classNames: readonly string[], scoreThreshold: number, classThresholds: Record<string, number>): Float32Array {
  const scores = new Float32Array(classNames.length).fill(scoreThreshold);
  checkScore('scoreThreshold', scoreThreshold);
  for (const [label, value] of Object.entries(classThresholds)) {
    const id = classNames.indexOf(label);
    if (id < 0) throw new StreetWatchError('DETECTOR_CONFIG', `classThresholds: "${label}" is not a class of this model`);
    checkScore(`classThresholds.${label}`, value);
    scores[id] = value;
  }
  return scores;
}

function checkScore(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new StreetWatchError('DETECTOR_CONFIG', `${name} must be between 0 and 1, got ${v}`);
}

/** The graph must take and give what the manifest says, or decoding would be silently wrong. */
function checkGraph(session: ort.InferenceSession, manifest: ModelManifest, path: string): void {
  const { input, output } = manifest;
  const problems: string[] = [];
  const meta = session.inputMetadata.find((m) => m.name === input.name);
  if (!meta) problems.push(`no input "${input.name}" (has ${session.inputNames.join(', ')})`);
  else if (meta.isTensor) {
    const want = [1, 3, input.height, input.width];
    // Symbolic (named) dimensions accept any size.
    if (meta.shape.length !== 4 || meta.shape.some((d, i) => typeof d === 'number' && d > 0 && d !== want[i])) {
      problems.push(`input "${input.name}" has shape [${meta.shape.join(', ')}], expected [${want.join(', ')}]`);
    }
  }
  if (!session.outputNames.includes(output.name)) problems.push(`no output "${output.name}" (has ${session.outputNames.join(', ')})`);
  if (problems.length > 0) {
    throw new ModelError('MODEL_MISMATCH', `model file ${path} does not match manifest ${manifest.name}: ${problems.join('; ')}`);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

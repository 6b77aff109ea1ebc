/**
 * A Detector backed by N worker threads, each with its own onnxruntime session. Calls run in
 * parallel (one per worker) and may finish out of order; callers that need order keep it
 * themselves (the camera pipeline applies results in frame order).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StreetWatchError } from '../common/errors.js';
import { projectRoot } from '../common/paths.js';
import type { ModelManifest } from '../models/manifest.js';
import { createOnnxDetector, type DetectTimings, type OnnxDetector, type OnnxDetectorOptions } from './onnx-detector.js';
import type { Detector, ObjectBox, PixelBox, RgbFrame } from './types.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

export interface WorkerDetector extends Detector {
  readonly manifest: ModelManifest;
  readonly workers: number;
  detectTimed(frame: RgbFrame, region?: PixelBox): Promise<{ objects: ObjectBox[]; timings: DetectTimings }>;
}

interface Pending {
  id: number;
  frame: RgbFrame;
  region?: PixelBox;
  resolve: (r: { objects: ObjectBox[]; timings: DetectTimings }) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  pending: Map<number, Pending>;
  /** Called when a reply leaves the worker free; takes the next waiting frame. */
  onIdle: () => void;
}

/** The compiled worker script: tests run from TypeScript sources, workers always from dist/. */
function workerScript(): string {
  const file = join(projectRoot, 'dist', 'detector', 'detector-worker.js');
  if (!existsSync(file)) throw new StreetWatchError('DETECTOR_WORKER_MISSING', `${file} is missing: run \`npm run build\` first`);
  return file;
}

/** On `workers` worker threads, or on the calling thread when 0. */
export function openDetector(opts: OnnxDetectorOptions, workers: number): Promise<OnnxDetector | WorkerDetector> {
  return workers > 0 ? createWorkerDetector({ ...opts, workers }) : createOnnxDetector(opts);
}

export async function createWorkerDetector(opts: OnnxDetectorOptions & { workers: number }): Promise<WorkerDetector> {
  const { workers: count, ...detectorOptions } = opts;
  const script = workerScript();
  // One after the other: building a session (graph optimisation) briefly takes far more memory
  // than running it, and N of those peaks at once would set the box's peak RSS.
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) slots.push(await startWorker(script, detectorOptions));
  let nextId = 0;
  let closed = false;
  // Frames wait here, not at a worker: each goes to whichever worker frees first, so no worker
  // idles while another has a backlog (a per-worker queue did, whenever inference times varied).
  const waiting: Pending[] = [];
  const send = (slot: Slot, p: Pending) => {
    slot.busy++;
    slot.pending.set(p.id, p);
    slot.worker.postMessage(...detectRequest(p));
  };
  for (const slot of slots) {
    slot.onIdle = () => {
      const next = waiting.shift();
      if (next) send(slot, next);
    };
  }

  const detectTimed = (frame: RgbFrame, region?: PixelBox) => {
    if (closed) return Promise.reject(new StreetWatchError('DETECTOR_CLOSED', 'detector is closed'));
    return new Promise<{ objects: ObjectBox[]; timings: DetectTimings }>((resolve, reject) => {
      const p: Pending = { id: nextId++, frame, region, resolve, reject };
      const idle = slots.find((s) => s.busy === 0);
      if (idle) send(idle, p);
      else waiting.push(p);
    });
  };

  return {
    manifest: opts.manifest,
    classNames: opts.manifest.classNames,
    inputSize: { width: opts.manifest.input.width, height: opts.manifest.input.height },
    workers: count,
    detectTimed,
    detect: async (frame, region) => (await detectTimed(frame, region)).objects,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const p of waiting.splice(0)) p.reject(new StreetWatchError('DETECTOR_CLOSED', 'detector is closed'));
      await Promise.all(slots.map(async (s) => {
        s.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        await new Promise((res) => s.worker.once('exit', res));
      }));
    },
  };
}

/**
 * A frame that owns its whole ArrayBuffer (as ffmpeg frames do) is moved to the worker and back
 * with the reply, so no copy is made: `frame.data` is swapped for the returned buffer before
 * detect() resolves. Any other frame is copied.
 */
function detectRequest({ id, frame, region }: Pending): [WorkerRequest, ArrayBuffer[]] {
  const d = frame.data;
  const owned = d.byteOffset === 0 && d.buffer.byteLength === d.length && d.buffer instanceof ArrayBuffer;
  const data = owned ? new Uint8Array(d.buffer as ArrayBuffer) : new Uint8Array(d);
  return [{ type: 'detect', id, width: frame.width, height: frame.height, data, returnData: owned, region }, [data.buffer as ArrayBuffer]];
}

function startWorker(script: string, options: OnnxDetectorOptions): Promise<Slot> {
  const worker = new Worker(script, { workerData: options });
  const slot: Slot = { worker, busy: 0, pending: new Map(), onIdle: () => undefined };
  return new Promise((resolve, reject) => {
    const failAll = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('message', (msg: WorkerReply) => {
      if ('ready' in msg) return resolve(slot);
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      slot.busy--;
      if (msg.data) p.frame.data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
      if ('error' in msg) p.reject(new StreetWatchError('DETECTOR_FAILED', msg.error));
      else p.resolve(msg);
      slot.onIdle();
    });
    worker.once('error', (err) => {
      failAll(err);
      reject(err);
    });
    worker.once('exit', (code) => {
      if (code !== 0) failAll(new StreetWatchError('DETECTOR_FAILED', `detector worker exited with code ${code}`));
    });
  });
}

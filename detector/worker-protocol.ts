import type { DetectTimings } from './onnx-detector.js';
import type { ObjectBox } from './types.js';

export type WorkerRequest =
  | { type: 'detect'; id: number; width: number; height: number; data: Uint8Array }
  | { type: 'close' };

export type WorkerReply =
  | { id: number; objects: ObjectBox[]; timings: DetectTimings }
  | { id: number; error: string }
  | { id: -1; ready: true };

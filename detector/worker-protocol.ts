import type { DetectTimings } from './onnx-detector.js';
import type { ObjectBox, PixelBox } from './types.js';

export type WorkerRequest =
  /** `returnData`: the frame was moved here and goes back with the reply. */
  | { type: 'detect'; id: number; width: number; height: number; data: Uint8Array; returnData: boolean; region?: PixelBox }
  | { type: 'close' };

export type WorkerReply =
  | { id: number; objects: ObjectBox[]; timings: DetectTimings; data?: Uint8Array }
  | { id: number; error: string; data?: Uint8Array }
  | { id: -1; ready: true };

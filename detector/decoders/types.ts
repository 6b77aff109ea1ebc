import type { PixelBox } from '../types.js';

/** A detection before NMS, in network-input pixels. */
export interface Candidate {
  box: PixelBox;
  classId: number;
  score: number;
}

export interface DecodeParams {
  inputWidth: number;
  inputHeight: number;
  numClasses: number;
  /** Candidates scoring below this are dropped inside the decoder (most anchors, cheaply). */
  minScore: number;
}

/** Turns a raw output tensor into candidates: one per anchor at most, its best class. */
export type Decoder = (data: Float32Array, dims: readonly number[], params: DecodeParams) => Candidate[];

export function expectDims(format: string, dims: readonly number[], expected: string, ok: boolean): void {
  if (!ok) throw new RangeError(`${format} decoder: output shape [${dims.join(', ')}] is not ${expected}`);
}

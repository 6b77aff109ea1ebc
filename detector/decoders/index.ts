/** Output format (manifest `output.format`) → decoder. A new head is one file and a line in each list here. */
import type { OutputFormat } from '../../models/manifest.js';
import type { Decoder } from './types.js';
import { decodeYolov8 } from './yolov8.js';
import { decodeYolox } from './yolox.js';

export type { Candidate, DecodeParams, Decoder } from './types.js';

/** Object-detection heads: the formats a detector model (ours or a user's own) may have. */
export const DETECTION_FORMATS = ['yolox', 'yolov8'] as const satisfies readonly OutputFormat[];
export type DetectionFormat = (typeof DETECTION_FORMATS)[number];

export const decoders: Record<DetectionFormat, Decoder> = {
  yolox: decodeYolox,
  yolov8: decodeYolov8,
};

/** The decoder for an object-detection output format, or undefined (e.g. plate models). */
export function decoderFor(format: OutputFormat): Decoder | undefined {
  return (decoders as Partial<Record<OutputFormat, Decoder>>)[format];
}

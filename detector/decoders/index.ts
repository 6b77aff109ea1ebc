/** Output format (manifest `output.format`) → decoder. A new head is one file and one line here. */
import type { OutputFormat } from '../../models/manifest.js';
import type { Decoder } from './types.js';
import { decodeYolov8 } from './yolov8.js';
import { decodeYolox } from './yolox.js';

export type { Candidate, DecodeParams, Decoder } from './types.js';

export const decoders: Partial<Record<OutputFormat, Decoder>> = {
  yolox: decodeYolox,
  yolov8: decodeYolov8,
};

/** The decoder for an object-detection output format, or undefined (e.g. plate models). */
export function decoderFor(format: OutputFormat): Decoder | undefined {
  return decoders[format];
}

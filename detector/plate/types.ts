/** Licence-plate reading: shared shapes of the plate detector, recogniser and reader. */
import type { PixelBox, RgbFrame } from '../types.js';

export interface Point {
  x: number;
  y: number;
}

/** A plate found in a frame, in source-frame pixels. Corners: top-left, top-right, bottom-right, bottom-left. */
export interface PlateLocation {
  box: PixelBox;
  corners: [Point, Point, Point, Point];
  /** Detector score 0..1. */
  score: number;
  /** Single- or double-layer plate, by the detector's layer scores. */
  layers: 1 | 2;
}

export interface PlateReading extends PlateLocation {
  /** Normalised text (separators dropped, look-alike characters unified), e.g. `苏ED51712`. */
  text: string;
  /** What the recogniser produced before normalisation. */
  raw: string;
  /** Recogniser confidence 0..1 (mean of the kept characters' probabilities). */
  confidence: number;
  /** The text matches the configured plate format. */
  valid: boolean;
  /** `standard` (7 characters), `new_energy` (8), or `double_layer`. */
  type?: string;
}

export interface PlateReader {
  /** Side of the plate detector's square input: a larger frame is searched scaled down. */
  readonly inputSize: number;
  /** Finds the plates in the frame (or only in `region`) and reads each; best first. */
  read(frame: RgbFrame, region?: PixelBox): Promise<PlateReading[]>;
  /** Finds the plates only (for blurring bystanders' plates); no recognition. */
  locate(frame: RgbFrame, region?: PixelBox): Promise<PlateLocation[]>;
  close(): Promise<void>;
}

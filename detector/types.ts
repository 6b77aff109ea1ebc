/** Axis-aligned box in source-frame pixels (x2/y2 exclusive edges, floats allowed). */
export interface PixelBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** One object found by a detector in one frame, already mapped back to source-frame pixels. */
export interface ObjectBox {
  box: PixelBox;
  classId: number;
  label: string;
  score: number;
}

/** A decoded video frame: packed RGB, 3 bytes per pixel, row-major, no padding. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Buffer;
}

export interface Detector {
  /** Class names of the model, index = class id. */
  readonly classNames: readonly string[];
  /** The model's input in pixels: a region of this size is seen at full resolution. */
  readonly inputSize: { width: number; height: number };
  /**
   * Finds objects in the frame, or only in `region` of it (the crop is scaled to the model's input,
   * so small objects there are resolved better); boxes are in frame pixels either way. A detector
   * may move `frame.data` to another thread while it runs and put it back before resolving: read
   * the frame's pixels only after this resolves.
   */
  detect(frame: RgbFrame, region?: PixelBox): Promise<ObjectBox[]>;
  close(): Promise<void>;
}

/**
 * The part of a frame a zone's model looks at: the zone's bounding box, grown to a square at least
 * the model's input size where the frame allows. A square keeps the letterbox from wasting input on
 * padding; the minimum size keeps a small zone from being upscaled into blur the model never saw
 * in training, and gives objects standing at the zone's edge their whole outline.
 */
import type { PixelBox } from '../../detector/types.js';
import type { FrameSize } from './violation.js';
import type { NormPoint } from './zones.js';

export function zoneCrop(polygon: readonly NormPoint[], frame: FrameSize, minSide: number): PixelBox {
  const xs = polygon.map(([x]) => x * frame.width);
  const ys = polygon.map(([, y]) => y * frame.height);
  const x1 = Math.min(...xs);
  const y1 = Math.min(...ys);
  const x2 = Math.max(...xs);
  const y2 = Math.max(...ys);
  const side = Math.max(x2 - x1, y2 - y1, minSide);
  const [cx1, cx2] = span((x1 + x2) / 2, side, frame.width);
  const [cy1, cy2] = span((y1 + y2) / 2, side, frame.height);
  return { x1: cx1, y1: cy1, x2: cx2, y2: cy2 };
}

/** `length` centred on `centre`, shifted back inside `0..limit` and cut to it when longer. */
function span(centre: number, length: number, limit: number): [number, number] {
  if (length >= limit) return [0, limit];
  const start = Math.min(Math.max(centre - length / 2, 0), limit - length);
  return [Math.round(start), Math.round(start + length)];
}

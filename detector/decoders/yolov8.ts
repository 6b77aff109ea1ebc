/**
 * YOLOv8/YOLO11-style head (Ultralytics export): output [1, 4 + C, anchors], channel-major; per
 * anchor cx, cy, w, h in input pixels then C class scores, no objectness.
 */
import { expectDims, type Candidate, type Decoder } from './types.js';

export const decodeYolov8: Decoder = (data, dims, { numClasses, minScore }) => {
  expectDims('yolov8', dims, `[1, ${4 + numClasses}, anchors]`, dims.length === 3 && dims[0] === 1 && dims[1] === 4 + numClasses);
  const n = dims[2];
  const out: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    let score = data[4 * n + i];
    for (let c = 1; c < numClasses; c++) {
      const v = data[(4 + c) * n + i];
      if (v > score) {
        score = v;
        best = c;
      }
    }
    if (score < minScore) continue;
    const cx = data[i];
    const cy = data[n + i];
    const hw = data[2 * n + i] / 2;
    const hh = data[3 * n + i] / 2;
    out.push({ box: { x1: cx - hw, y1: cy - hh, x2: cx + hw, y2: cy + hh }, classId: best, score });
  }
  return out;
};

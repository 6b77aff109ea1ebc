/**
 * YOLOX head exported without its decode step: output [1, anchors, 5 + C], anchors row-major over
 * the stride-8, 16 and 32 grids in that order; per anchor [dx, dy, log w, log h, obj, C class
 * scores] with obj and classes already through a sigmoid.
 */
import { expectDims, type Candidate, type Decoder } from './types.js';

const STRIDES = [8, 16, 32] as const;

export const decodeYolox: Decoder = (data, dims, { inputWidth, inputHeight, numClasses, minScore }) => {
  const stride = 5 + numClasses;
  const gridCells = STRIDES.reduce((n, s) => n + Math.floor(inputWidth / s) * Math.floor(inputHeight / s), 0);
  expectDims('yolox', dims, `[1, ${gridCells}, ${stride}]`, dims.length === 3 && dims[0] === 1 && dims[1] === gridCells && dims[2] === stride);

  const out: Candidate[] = [];
  let base = 0;
  for (const s of STRIDES) {
    const gw = Math.floor(inputWidth / s);
    const gh = Math.floor(inputHeight / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, base += stride) {
        const obj = data[base + 4];
        // score = obj * cls <= obj: most anchors end here without touching their 80 classes.
        if (obj < minScore) continue;
        let best = 0;
        let bestCls = data[base + 5];
        for (let c = 1; c < numClasses; c++) {
          const v = data[base + 5 + c];
          if (v > bestCls) {
            bestCls = v;
            best = c;
          }
        }
        const score = obj * bestCls;
        if (score < minScore) continue;
        const cx = (data[base] + gx) * s;
        const cy = (data[base + 1] + gy) * s;
        const hw = (Math.exp(data[base + 2]) * s) / 2;
        const hh = (Math.exp(data[base + 3]) * s) / 2;
        out.push({ box: { x1: cx - hw, y1: cy - hh, x2: cx + hw, y2: cy + hh }, classId: best, score });
      }
    }
  }
  return out;
};

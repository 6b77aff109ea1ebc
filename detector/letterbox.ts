/**
 * Frame → network input: resize (bilinear, same sampling as OpenCV's INTER_LINEAR that these
 * models were trained with), place top-left, pad, reorder channels, scale values, NCHW float32.
 * Runs per frame, so the inner loop only reads typed arrays and precomputed index tables.
 */
import type { ModelInput } from '../models/manifest.js';
import type { PixelBox, RgbFrame } from './types.js';

export type InputSpec = Pick<ModelInput, 'width' | 'height' | 'channelOrder' | 'pixelRange' | 'resize' | 'padValue'>;

/** How input pixels relate to source pixels: source = input / scale + offset. */
export interface LetterboxTransform {
  scaleX: number;
  scaleY: number;
  /** Top-left of the letterboxed region in the source frame (0,0 for a whole frame). */
  offsetX: number;
  offsetY: number;
  /** Size of the image inside the input; the rest is padding. */
  contentWidth: number;
  contentHeight: number;
}

export interface LetterboxResult extends LetterboxTransform {
  data: Float32Array;
}

interface Tables {
  /** Byte offsets in the source frame of the two sampled columns, per output column. */
  col0: Int32Array;
  col1: Int32Array;
  wx: Float32Array;
  /** Byte offsets in the source frame of the two sampled rows, per output row. */
  row0: Int32Array;
  row1: Int32Array;
  wy: Float32Array;
}

// Per camera the geometry never changes: build the tables once per (frame size, region, content size).
const tableCache = new Map<string, Tables>();
const TABLE_CACHE_MAX = 32;

/**
 * Writes the model input for `frame` (or only `region` of it) into `out` (allocated if omitted,
 * reused by callers running per frame) and returns it with the transform to map boxes back.
 */
export function letterbox(frame: RgbFrame, spec: InputSpec, out?: Float32Array, region?: PixelBox): LetterboxResult {
  const W = spec.width;
  const H = spec.height;
  const plane = W * H;
  const data = out ?? new Float32Array(3 * plane);
  if (data.length !== 3 * plane) throw new RangeError(`letterbox: output has ${data.length} floats, expected ${3 * plane}`);
  if (frame.data.length < frame.width * frame.height * 3) {
    throw new RangeError(`letterbox: frame data has ${frame.data.length} bytes, expected ${frame.width * frame.height * 3}`);
  }

  // Integer source region, clipped to the frame.
  const rx = Math.max(0, Math.floor(region?.x1 ?? 0));
  const ry = Math.max(0, Math.floor(region?.y1 ?? 0));
  const rw = Math.min(frame.width, Math.ceil(region?.x2 ?? frame.width)) - rx;
  const rh = Math.min(frame.height, Math.ceil(region?.y2 ?? frame.height)) - ry;
  if (rw <= 0 || rh <= 0) throw new RangeError(`letterbox: empty region ${JSON.stringify(region)} in a ${frame.width}x${frame.height} frame`);

  let cw = W;
  let ch = H;
  if (spec.resize === 'letterbox') {
    const s = Math.min(W / rw, H / rh);
    cw = Math.min(W, Math.max(1, Math.round(rw * s)));
    ch = Math.min(H, Math.max(1, Math.round(rh * s)));
  }
  const t = tables(frame.width, rx, ry, rw, rh, cw, ch);

  const k = spec.pixelRange === '0-1' ? 1 / 255 : 1;
  const pad = spec.padValue * k;
  // Plane index of each source channel.
  const rPlane = spec.channelOrder === 'rgb' ? 0 : 2 * plane;
  const gPlane = plane;
  const bPlane = spec.channelOrder === 'rgb' ? 2 * plane : 0;
  const src = frame.data;
  const { col0, col1, wx, row0, row1, wy } = t;

  for (let y = 0; y < ch; y++) {
    const r0 = row0[y];
    const r1 = row1[y];
    const fy1 = wy[y] * k;
    const fy0 = k - fy1;
    let o = y * W;
    for (let x = 0; x < cw; x++, o++) {
      const fx1 = wx[x];
      const fx0 = 1 - fx1;
      // The four weights include the value scaling, so each channel is 4 multiply-adds.
      const w00 = fx0 * fy0;
      const w01 = fx1 * fy0;
      const w10 = fx0 * fy1;
      const w11 = fx1 * fy1;
      const a = r0 + col0[x];
      const b = r0 + col1[x];
      const c = r1 + col0[x];
      const d = r1 + col1[x];
      data[rPlane + o] = src[a] * w00 + src[b] * w01 + src[c] * w10 + src[d] * w11;
      data[gPlane + o] = src[a + 1] * w00 + src[b + 1] * w01 + src[c + 1] * w10 + src[d + 1] * w11;
      data[bPlane + o] = src[a + 2] * w00 + src[b + 2] * w01 + src[c + 2] * w10 + src[d + 2] * w11;
    }
    if (cw < W) {
      const start = y * W + cw;
      const end = (y + 1) * W;
      data.fill(pad, start, end);
      data.fill(pad, plane + start, plane + end);
      data.fill(pad, 2 * plane + start, 2 * plane + end);
    }
  }
  if (ch < H) {
    data.fill(pad, ch * W, plane);
    data.fill(pad, plane + ch * W, 2 * plane);
    data.fill(pad, 2 * plane + ch * W, 3 * plane);
  }

  return { data, scaleX: cw / rw, scaleY: ch / rh, offsetX: rx, offsetY: ry, contentWidth: cw, contentHeight: ch };
}

/** Maps a box in network-input pixels back to source-frame pixels. */
export function toSourceBox(box: PixelBox, t: LetterboxTransform): PixelBox {
  return {
    x1: box.x1 / t.scaleX + t.offsetX,
    y1: box.y1 / t.scaleY + t.offsetY,
    x2: box.x2 / t.scaleX + t.offsetX,
    y2: box.y2 / t.scaleY + t.offsetY,
  };
}

function tables(frameWidth: number, rx: number, ry: number, rw: number, rh: number, cw: number, ch: number): Tables {
  const key = `${frameWidth}:${rx},${ry},${rw},${rh}:${cw}x${ch}`;
  let t = tableCache.get(key);
  if (t) return t;
  const cols = axis(rw, cw);
  const rows = axis(rh, ch);
  const col0 = new Int32Array(cw);
  const col1 = new Int32Array(cw);
  for (let x = 0; x < cw; x++) {
    col0[x] = (rx + cols.i0[x]) * 3;
    col1[x] = (rx + cols.i1[x]) * 3;
  }
  const row0 = new Int32Array(ch);
  const row1 = new Int32Array(ch);
  for (let y = 0; y < ch; y++) {
    row0[y] = (ry + rows.i0[y]) * frameWidth * 3;
    row1[y] = (ry + rows.i1[y]) * frameWidth * 3;
  }
  t = { col0, col1, wx: cols.w, row0, row1, wy: rows.w };
  if (tableCache.size >= TABLE_CACHE_MAX) tableCache.clear(); // crops vary; keep the cache bounded
  tableCache.set(key, t);
  return t;
}

/** Bilinear sample positions along one axis, pixel centres aligned (OpenCV convention). */
function axis(srcLen: number, dstLen: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(dstLen);
  const i1 = new Int32Array(dstLen);
  const w = new Float32Array(dstLen);
  const ratio = srcLen / dstLen;
  for (let d = 0; d < dstLen; d++) {
    const f = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), srcLen - 1);
    const lo = Math.floor(f);
    i0[d] = lo;
    i1[d] = Math.min(lo + 1, srcLen - 1);
    w[d] = f - lo;
  }
  return { i0, i1, w };
}

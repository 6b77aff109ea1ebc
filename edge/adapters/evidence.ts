/**
 * Evidence photos of a violation: the whole frame with the offending object boxed, and a close-up.
 * Bystanders are pixelated in the raw RGB before any encoding, so no unblurred image leaves the box.
 */
import { createHash } from 'node:crypto';
import sharp, { type OverlayOptions } from 'sharp';
import type { PixelBox, RgbFrame } from '../../detector/types.js';

// Photos are made a few times per violation, each from a fresh frame: libvips' operation cache
// would only hold memory on a box with a 300 MB budget, and one thread is plenty.
sharp.cache(false);
sharp.concurrency(1);

export interface EvidenceInput {
  /** Full-resolution frame; not modified. */
  frame: RgbFrame;
  /** The offending object, drawn as a red rectangle. */
  subject: PixelBox;
  /** Text drawn on the full photo next to the box (e.g. "car · zone-3 · 06:12"). */
  label?: string;
  /** Every box to anonymise (people, faces…); the caller decides who. */
  blur: PixelBox[];
  /** JPEG quality 1..100, default 85. */
  quality?: number;
}

export interface EvidencePhotos {
  full: Buffer;
  crop: Buffer;
}

const STROKE = 3;
const RED = [230, 20, 20] as const;
const CROP_MARGIN = 0.25;
const MIN_CROP_WIDTH = 160;

/** Integer pixel rectangle. */
export interface IntBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Rounds outward (a blur box never shrinks) and clips to the frame; undefined if nothing is left. */
function clip(b: PixelBox, width: number, height: number): IntBox | undefined {
  const x1 = Math.max(0, Math.floor(b.x1));
  const y1 = Math.max(0, Math.floor(b.y1));
  const x2 = Math.min(width, Math.ceil(b.x2));
  const y2 = Math.min(height, Math.ceil(b.y2));
  return x2 > x1 && y2 > y1 ? { x: x1, y: y1, w: x2 - x1, h: y2 - y1 } : undefined;
}

/**
 * Coarse mosaic: about 4 blocks across the box's short side (at least 8 px), so a face inside
 * a person box is 1-2 blocks wide — unrecognisable, and cheap (one pass over the box).
 */
export function pixelate(data: Buffer, width: number, b: IntBox): void {
  const block = Math.max(8, Math.ceil(Math.min(b.w, b.h) / 4));
  for (let by = b.y; by < b.y + b.h; by += block) {
    const bh = Math.min(block, b.y + b.h - by);
    for (let bx = b.x; bx < b.x + b.w; bx += block) {
      const bw = Math.min(block, b.x + b.w - bx);
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let y = by; y < by + bh; y++) {
        for (let i = (y * width + bx) * 3, end = i + bw * 3; i < end; i += 3) {
          r += data[i];
          g += data[i + 1];
          bl += data[i + 2];
        }
      }
      const n = bw * bh;
      r = Math.round(r / n);
      g = Math.round(g / n);
      bl = Math.round(bl / n);
      for (let y = by; y < by + bh; y++) {
        for (let i = (y * width + bx) * 3, end = i + bw * 3; i < end; i += 3) {
          data[i] = r;
          data[i + 1] = g;
          data[i + 2] = bl;
        }
      }
    }
  }
}

function fill(data: Buffer, width: number, x1: number, y1: number, x2: number, y2: number): void {
  for (let y = y1; y < y2; y++) {
    for (let i = (y * width + x1) * 3, end = (y * width + x2) * 3; i < end; i += 3) {
      data[i] = RED[0];
      data[i + 1] = RED[1];
      data[i + 2] = RED[2];
    }
  }
}

/** Red frame just outside the subject (so it hides none of it); moves inside where the frame edge is. */
function drawBox(data: Buffer, width: number, height: number, s: IntBox): void {
  const ox1 = Math.max(0, s.x - STROKE);
  const oy1 = Math.max(0, s.y - STROKE);
  const ox2 = Math.min(width, s.x + s.w + STROKE);
  const oy2 = Math.min(height, s.y + s.h + STROKE);
  const ix1 = Math.min(ox1 + STROKE, ox2);
  const iy1 = Math.min(oy1 + STROKE, oy2);
  const ix2 = Math.max(ox2 - STROKE, ix1);
  const iy2 = Math.max(oy2 - STROKE, iy1);
  fill(data, width, ox1, oy1, ox2, iy1); // top
  fill(data, width, ox1, iy2, ox2, oy2); // bottom
  fill(data, width, ox1, iy1, ix1, iy2); // left
  fill(data, width, ix2, iy1, ox2, iy2); // right
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Label as a small SVG (rasterised by sharp) placed above the box, or inside it at the top edge. */
function labelOverlay(label: string, s: IntBox, width: number, height: number): OverlayOptions {
  const size = Math.max(12, Math.round(height / 36));
  const h = Math.min(height, Math.round(size * 1.5));
  const w = Math.min(width, Math.ceil(label.length * size * 0.62) + size);
  const left = Math.min(Math.max(0, s.x - STROKE), width - w);
  const top = s.y - STROKE - h >= 0 ? s.y - STROKE - h : Math.min(s.y, height - h);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<rect width="${w}" height="${h}" fill="rgb(${RED.join(',')})"/>` +
    `<text x="${size / 2}" y="${Math.round(h * 0.72)}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="white">${escapeXml(label)}</text>` +
    `</svg>`;
  return { input: Buffer.from(svg), left, top };
}

/** Subject plus CROP_MARGIN of its size on every side, clipped to the frame. */
export function cropRegion(subject: PixelBox, width: number, height: number): IntBox | undefined {
  const mx = (subject.x2 - subject.x1) * CROP_MARGIN;
  const my = (subject.y2 - subject.y1) * CROP_MARGIN;
  return clip({ x1: subject.x1 - mx, y1: subject.y1 - my, x2: subject.x2 + mx, y2: subject.y2 + my }, width, height);
}

export async function renderEvidence(input: EvidenceInput): Promise<EvidencePhotos> {
  const { frame, label } = input;
  const { width, height } = frame;
  if (frame.data.length !== width * height * 3) {
    throw new RangeError(`frame data is ${frame.data.length} bytes, expected ${width}x${height}x3`);
  }
  const subject = clip(input.subject, width, height);
  const region = cropRegion(input.subject, width, height);
  if (!subject || !region) throw new RangeError(`subject box ${JSON.stringify(input.subject)} is outside the ${width}x${height} frame`);

  const rgb = Buffer.from(frame.data); // a copy: the caller's frame stays untouched
  for (const b of input.blur) {
    const box = clip(b, width, height);
    if (box) pixelate(rgb, width, box);
  }
  drawBox(rgb, width, height, subject);

  const raw = { raw: { width, height, channels: 3 as const } };
  // 4:4:4: chroma subsampling would smear the thin red line and fine plate detail.
  const jpeg = { quality: input.quality ?? 85, chromaSubsampling: '4:4:4' };
  const full = sharp(rgb, raw)
    .composite(label ? [labelOverlay(label, subject, width, height)] : [])
    .jpeg(jpeg)
    .toBuffer();
  let crop = sharp(rgb, raw).extract({ left: region.x, top: region.y, width: region.w, height: region.h });
  if (region.w < MIN_CROP_WIDTH) crop = crop.resize({ width: MIN_CROP_WIDTH, kernel: 'lanczos3' });
  const [fullJpeg, cropJpeg] = await Promise.all([full, crop.jpeg(jpeg).toBuffer()]);
  return { full: fullJpeg, crop: cropJpeg };
}

/** Margin around a plate close-up, as a share of the plate's width / height. */
const PLATE_MARGIN_X = 0.2;
const PLATE_MARGIN_Y = 0.3;
const MIN_PLATE_WIDTH = 320;

/**
 * The offender's plate up close, straight from the full-resolution frame (not the rectified image the
 * recogniser saw): what an officer or a court compares with the text.
 */
export async function renderPlateCloseUp(frame: RgbFrame, plate: PixelBox, quality = 90): Promise<Buffer> {
  const mx = (plate.x2 - plate.x1) * PLATE_MARGIN_X;
  const my = (plate.y2 - plate.y1) * PLATE_MARGIN_Y;
  const r = clip({ x1: plate.x1 - mx, y1: plate.y1 - my, x2: plate.x2 + mx, y2: plate.y2 + my }, frame.width, frame.height);
  if (!r) throw new RangeError(`plate box ${JSON.stringify(plate)} is outside the ${frame.width}x${frame.height} frame`);
  let img = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } }).extract({ left: r.x, top: r.y, width: r.w, height: r.h });
  if (r.w < MIN_PLATE_WIDTH) img = img.resize({ width: MIN_PLATE_WIDTH, kernel: 'lanczos3' });
  return img.jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
}

export function sha256Hex(buf: Buffer | Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PixelBox, RgbFrame } from '../../detector/types.js';
import { frameAt } from '../../test/fixtures.js';
import { renderEvidence, sha256Hex } from './evidence.js';

// Frame 20 s into the real clip: a parked white van top right, pedestrians on the road.
let frame: RgbFrame;
const VAN: PixelBox = { x1: 650, y1: 42, x2: 726, y2: 100 };
const WALKER: PixelBox = { x1: 615, y1: 263, x2: 652, y2: 370 };
const NEAR_VAN: PixelBox = { x1: 676, y1: 97, x2: 700, y2: 155 }; // person just below the van, inside its close-up

beforeAll(() => {
  frame = frameAt(20);
});

interface Decoded {
  width: number;
  height: number;
  data: Buffer;
}

async function decode(jpeg: Buffer): Promise<Decoded> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { width: info.width, height: info.height, data };
}

function px(img: Decoded, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

function isRed([r, g, b]: number[]): boolean {
  return r > 170 && g < 90 && b < 90;
}

/**
 * Fine texture in a box: median over 4x4 cells of the luma standard deviation. A median ignores
 * the few cells that straddle mosaic block edges; a face or clothing has texture in most cells.
 */
function detail(img: Decoded, b: PixelBox): number {
  const stds: number[] = [];
  for (let cy = b.y1; cy + 4 <= b.y2; cy += 4) {
    for (let cx = b.x1; cx + 4 <= b.x2; cx += 4) {
      let sum = 0;
      let sq = 0;
      for (let y = cy; y < cy + 4; y++) {
        for (let x = cx; x < cx + 4; x++) {
          const i = (y * img.width + x) * 3;
          const l = 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
          sum += l;
          sq += l * l;
        }
      }
      stds.push(Math.sqrt(Math.max(0, sq / 16 - (sum / 16) ** 2)));
    }
  }
  stds.sort((a, c) => a - c);
  return stds[stds.length >> 1];
}

function meanAbsDiff(a: Decoded, b: Decoded, box: PixelBox): number {
  let sum = 0;
  let n = 0;
  for (let y = box.y1; y < box.y2; y++) {
    for (let i = (y * a.width + box.x1) * 3; i < (y * a.width + box.x2) * 3; i++) {
      sum += Math.abs(a.data[i] - b.data[i]);
      n++;
    }
  }
  return sum / n;
}

describe('renderEvidence', () => {
  it('full photo: whole frame, red box around the subject, bystanders blurred, rest unchanged', async () => {
    const before = Buffer.from(frame.data);
    const { full } = await renderEvidence({ frame, subject: VAN, blur: [WALKER, NEAR_VAN] });
    expect(frame.data.equals(before)).toBe(true); // caller's frame untouched
    expect(full.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8])); // JPEG SOI
    const img = await decode(full);
    const orig: Decoded = frame;
    expect([img.width, img.height]).toEqual([768, 576]);

    // The stroke lies just outside the subject on all four sides.
    const midY = (VAN.y1 + VAN.y2) / 2;
    const midX = (VAN.x1 + VAN.x2) / 2;
    expect(isRed(px(img, VAN.x1 - 2, midY))).toBe(true);
    expect(isRed(px(img, VAN.x2 + 1, midY))).toBe(true);
    expect(isRed(px(img, midX, VAN.y1 - 2))).toBe(true);
    expect(isRed(px(img, midX, VAN.y2 + 1))).toBe(true);
    // ...and covers nothing of the van itself.
    expect(isRed(px(img, VAN.x1 + 4, midY))).toBe(false);
    expect(isRed(px(img, VAN.x1 - 7, midY))).toBe(false);

    // Bystander: fine detail gone, picture clearly changed.
    const origDetail = detail(orig, WALKER);
    expect(detail(img, WALKER)).toBeLessThan(origDetail * 0.35);
    expect(meanAbsDiff(img, orig, WALKER)).toBeGreaterThan(8);
    // Away from the boxes only JPEG noise.
    const lawn: PixelBox = { x1: 100, y1: 300, x2: 400, y2: 500 };
    expect(meanAbsDiff(img, orig, lawn)).toBeLessThan(4);
    expect(detail(img, lawn)).toBeGreaterThan(detail(orig, lawn) * 0.7);
  });

  it('crop: subject with 25% margin, upscaled to >= 160 px when small, bystanders blurred in it too', async () => {
    const { crop } = await renderEvidence({ frame, subject: VAN, blur: [NEAR_VAN] });
    const img = await decode(crop);
    // Van 76x58 -> with 25% margins 114x87 (rounded outward to 114x88), scaled up to 160 wide.
    const region = { x1: 631, y1: 27, x2: 745, y2: 115 };
    const scale = 160 / (region.x2 - region.x1);
    expect(img.width).toBe(160);
    expect(img.height).toBe(Math.round((region.y2 - region.y1) * scale));
    // The red box sits at the margin: 19 px (scaled) from the crop's left edge.
    const mid = img.height / 2;
    expect(isRed(px(img, (VAN.x1 - region.x1 - 2) * scale, mid))).toBe(true);
    expect(isRed(px(img, 5, mid))).toBe(false);
    expect(isRed(px(img, (VAN.x1 - region.x1 + 10) * scale, mid))).toBe(false);

    // The same crop without the bystander box differs strongly where the person is, not on the van.
    const plain = await decode((await renderEvidence({ frame, subject: VAN, blur: [] })).crop);
    const toCrop = (b: PixelBox): PixelBox => ({
      x1: Math.ceil((b.x1 - region.x1) * scale),
      y1: Math.ceil((b.y1 - region.y1) * scale),
      x2: Math.floor((b.x2 - region.x1) * scale),
      y2: Math.min(img.height, Math.floor((b.y2 - region.y1) * scale)),
    });
    const person = toCrop({ ...NEAR_VAN, y1: VAN.y2 + 4 }); // below the red stroke
    const vanInside = toCrop({ x1: VAN.x1 + 4, y1: VAN.y1 + 4, x2: VAN.x2 - 4, y2: VAN.y2 - 10 });
    expect(meanAbsDiff(img, plain, person)).toBeGreaterThan(8);
    expect(meanAbsDiff(img, plain, vanInside)).toBeLessThan(2);
  });

  it('a large subject is cropped at full resolution; a subject at the frame edge is clipped', async () => {
    const big: PixelBox = { x1: 200, y1: 150, x2: 440, y2: 310 };
    const img = await decode((await renderEvidence({ frame, subject: big, blur: [] })).crop);
    expect([img.width, img.height]).toEqual([360, 240]);
    expect(isRed(px(img, 58, 120))).toBe(true); // box edge 60 px in, stroke just outside

    const corner: PixelBox = { x1: 0, y1: 0, x2: 100, y2: 100 };
    const { full, crop } = await renderEvidence({ frame, subject: corner, blur: [] });
    const c = await decode(crop);
    expect([c.width, c.height]).toEqual([160, 160]); // 125x125 region, upscaled
    const f = await decode(full);
    expect(isRed(px(f, 1, 50))).toBe(true); // no room outside: the stroke moves inside
    expect(isRed(px(f, 101, 50))).toBe(true);
  });

  it('draws the label next to the box', async () => {
    const [withLabel, without] = await Promise.all([
      renderEvidence({ frame, subject: WALKER, blur: [], label: 'person 0.91 zone-7' }),
      renderEvidence({ frame, subject: WALKER, blur: [] }),
    ]);
    const a = await decode(withLabel.full);
    const b = await decode(without.full);
    // Label band sits above the box (starting at its left stroke): red background there now.
    expect(isRed(px(a, WALKER.x1 + 2, WALKER.y1 - 8))).toBe(true);
    expect(isRed(px(b, WALKER.x1 + 2, WALKER.y1 - 8))).toBe(false);
    expect(meanAbsDiff(a, b, { x1: 0, y1: 0, x2: 768, y2: WALKER.y1 - 4 })).toBeGreaterThan(0.1);
  });

  it('rejects a subject outside the frame and a frame with the wrong byte count', async () => {
    await expect(renderEvidence({ frame, subject: { x1: 800, y1: 10, x2: 900, y2: 50 }, blur: [] })).rejects.toThrow(/outside/);
    const bad = { width: 10, height: 10, data: Buffer.alloc(10) };
    await expect(renderEvidence({ frame: bad, subject: VAN, blur: [] })).rejects.toThrow(/bytes/);
  });

  it('takes tens of milliseconds, not seconds', async () => {
    const input = { frame, subject: VAN, blur: [WALKER, NEAR_VAN], label: 'van' };
    await renderEvidence(input); // warm-up (font and codec init)
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await renderEvidence(input);
    const perCall = (performance.now() - t0) / 5;
    expect(perCall).toBeLessThan(150);
  });
});

describe('sha256Hex', () => {
  it('hashes bytes to lowercase hex', () => {
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

/** Still images (JPEG, PNG, …) → packed RGB frames, as the camera pipeline hands them over. */
import sharp, { type Sharp } from 'sharp';
import { StreetWatchError } from '../../common/errors.js';
import type { RgbFrame } from '../types.js';

/** Upright (EXIF orientation applied), 8-bit sRGB, alpha dropped: what a camera frame is. */
export async function toRgbFrame(image: Sharp): Promise<RgbFrame> {
  const { data, info } = await image.autoOrient().removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

export async function readImageFile(path: string): Promise<RgbFrame> {
  try {
    return await toRgbFrame(sharp(path));
  } catch (err) {
    throw new StreetWatchError('PLATE_INPUT', `${path} is not a readable image: ${(err as Error).message}`);
  }
}

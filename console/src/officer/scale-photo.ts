/**
 * A phone photo made small enough for a slow network before it is queued: at most MAX_EDGE pixels
 * on its long side, JPEG. A browser that cannot decode or draw it sends the original (if JPEG).
 */
const MAX_EDGE = 1600;
const QUALITY = 0.8;

export async function scalePhoto(file: Blob): Promise<Blob> {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
    if (blob) return blob;
  } catch {
    // fall through: the original
  }
  if (file.type !== 'image/jpeg') throw new Error('this photo cannot be read; take it again');
  return file;
}

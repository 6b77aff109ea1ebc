/**
 * What a box says is wrong with a camera's picture although the stream runs — pure. Read from the
 * box's last status (`cameras[].alerts`); a newer status without the alert clears it.
 */
import type { Device } from './api-types';

/** Since when the camera's view has been moved (bumped or turned), or null. */
export function cameraMovedSince(d: Pick<Device, 'status'> | undefined, cameraId: string): string | null {
  const cam = d?.status?.cameras?.find((c) => c.cameraId === cameraId);
  return cam?.alerts?.find((a) => a.kind === 'camera_moved')?.since ?? null;
}

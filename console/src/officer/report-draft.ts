/**
 * The report form's rules — pure: where the phone says it is (or why it cannot say), and what is
 * missing before a report may go: a photo and a position; type, plate and description have
 * defaults or are optional.
 */
import type { Key } from '../i18n';

/** The phone's position: waiting for the first fix, a fix with its accuracy, or why there is none. */
export type Fix =
  | { state: 'waiting' }
  | { state: 'ok'; lat: number; long: number; accuracyM: number }
  | { state: 'denied' }
  | { state: 'unavailable' };

/** GeolocationPositionError.PERMISSION_DENIED; the others (no fix, timeout) may still come right. */
const PERMISSION_DENIED = 1;

export const fixOfError = (code: number): Fix => (code === PERMISSION_DENIED ? { state: 'denied' } : { state: 'unavailable' });

export const fixOf = (c: { latitude: number; longitude: number; accuracy: number }): Fix => ({ state: 'ok', lat: c.latitude, long: c.longitude, accuracyM: c.accuracy });

/** What stops the report from going, as words to show; empty: it may go. */
export function missing(d: { photo: Blob | null; fix: Fix }): Key[] {
  const keys: Key[] = [];
  if (!d.photo) keys.push('report.needPhoto');
  if (d.fix.state !== 'ok') keys.push('report.needLocation');
  return keys;
}

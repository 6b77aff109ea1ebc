/**
 * "Every N seconds" in frame time, not wall time: a replay or a camera catching up after a stall
 * runs a periodic task as often per second of video as a live camera does.
 */

/**
 * Whether a task last run at `lastMs` (undefined: never) is due again at frame time `tsMs`. A
 * frame before the last run means the source started over (a looping file, a replay): due.
 */
export function isDue(lastMs: number | undefined, tsMs: number, everyMs: number): boolean {
  return lastMs === undefined || tsMs < lastMs || tsMs - lastMs >= everyMs;
}

/**
 * Vehicles waiting in a queue (at a light, in congestion) are not parked. A queue is told apart
 * from a row of parked cars by three things:
 * - its members drove in: each was seen moving before this stop (stationarySinceMs after its first
 *   sighting). Vehicles standing since the camera first saw them are part of the scene, as the two
 *   parked in the example clip's kerb zone from its first frame are;
 * - they stopped at about the same time (within QUEUE_STOP_WINDOW_MS of a neighbour), one behind
 *   the other, bumper to bumper (box gap under QUEUE_GAP_SHARE of the smaller box's size): parked
 *   cars along a kerb arrive one by one, minutes apart;
 * - it moves off within `holdSeconds`: a vehicle is held as queued only until it has stood that
 *   long, so a "queue" that never moves (cars that parked together) is reported after the hold, its
 *   dwell counted from when it stopped.
 * Once recognised, a vehicle stays queued for its whole stop (until it moves or the hold ends), even
 * when the cars ahead leave first: a queue drains front to back, and the last car is then alone.
 */
import type { PixelBox } from '../../detector/types.js';
import { boxGap } from './rules/shared.js';
import { VEHICLE_GROUP } from './tracker.js';
import type { Track } from './violation.js';

/** Neighbours in a queue stop within this long of each other. */
export const QUEUE_STOP_WINDOW_MS = 10_000;
/** Neighbours in a queue are closer than this share of the smaller box's larger side. */
export const QUEUE_GAP_SHARE = 0.5;

export interface QueueWatcherOptions {
  /** A vehicle is held as queued at most this long after it stopped (tracking.queueHoldSeconds). */
  holdSeconds: number;
}

export class QueueWatcher {
  /** Queued track id → the stationarySinceMs of the stop it was queued in. */
  private readonly queued = new Map<string, number>();
  private readonly holdMs: number;

  constructor(opts: QueueWatcherOptions) {
    this.holdMs = opts.holdSeconds * 1000;
  }

  /** One frame's tracks: returns the ids of the vehicles queued now (not parking candidates). */
  observe(tsMs: number, tracks: readonly Track[]): ReadonlySet<string> {
    const stopped = tracks.filter((t) => t.classGroup === VEHICLE_GROUP && t.stationarySinceMs !== null && t.stationarySinceMs > t.firstSeenMs);
    const stopOf = new Map(stopped.map((t) => [t.id, t.stationarySinceMs as number]));
    // Forget vehicles that moved on (a new stop is a new question) or are gone.
    for (const [id, since] of this.queued) if (stopOf.get(id) !== since) this.queued.delete(id);
    for (const t of stopped) {
      if (this.queued.has(t.id)) continue;
      if (stopped.some((o) => o !== t && inLine(t, o))) this.queued.set(t.id, t.stationarySinceMs as number);
    }
    const now = new Set<string>();
    for (const [id, since] of this.queued) if (tsMs - since < this.holdMs) now.add(id);
    return now;
  }

  /** Tracking starts afresh (new track ids). */
  reset(): void {
    this.queued.clear();
  }
}

/**
 * Two stopped vehicles next to each other in a line: close, one behind the other (their boxes
 * overlap across the line's direction, horizontal or vertical in the image, not only corner to
 * corner), and stopped at about the same time.
 */
function inLine(a: Track, b: Track): boolean {
  const stoppedTogether = Math.abs((a.stationarySinceMs as number) - (b.stationarySinceMs as number)) <= QUEUE_STOP_WINDOW_MS;
  const behind = overlap(a.box.x1, a.box.x2, b.box.x1, b.box.x2) || overlap(a.box.y1, a.box.y2, b.box.y1, b.box.y2);
  return stoppedTogether && behind && boxGap(a.box, b.box) <= QUEUE_GAP_SHARE * Math.min(size(a.box), size(b.box));
}

function overlap(a1: number, a2: number, b1: number, b2: number): boolean {
  return Math.min(a2, b2) > Math.max(a1, b1);
}

function size(b: PixelBox): number {
  return Math.max(b.x2 - b.x1, b.y2 - b.y1);
}

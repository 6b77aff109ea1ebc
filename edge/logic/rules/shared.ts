/** Helpers and the evaluation context shared by the zone rules. */
import type { PixelBox } from '../../../detector/types.js';
import type { SensorBay } from '../../config.js';
import type { StationaryObject } from '../occupancy/stationary-object.js';
import type { FrameSize, SensorReadings, Track } from '../violation.js';

export interface RuleContext {
  /** Frame timestamp, epoch ms. */
  tsMs: number;
  frame: FrameSize;
  /** IANA zone for schedules (device.timezone). */
  timeZone: string;
  /** The camera being evaluated: zone ids are unique per camera only, so bays are matched on both. */
  cameraId: string;
  /** All configured bays (sensors.bays); only those of this camera and zone are used. */
  sensorBays?: readonly SensorBay[];
  sensorState?: SensorReadings;
  /** Vehicles waiting in a queue (QueueWatcher): not parked. */
  queuedTrackIds?: ReadonlySet<string>;
  /** New objects standing in the camera's no_vending zones (SceneOccupancy). */
  stationaryObjects?: readonly StationaryObject[];
}

/** Share of a track's recent labels that make a listed class count even when it is not the majority. */
export const MIN_LABEL_SHARE = 1 / 3;

/**
 * Group-aware class test: the majority label is listed, or a listed label holds at least a third of
 * the recent votes (the detector flips a van car↔truck; a zone listing only 'truck' still catches it).
 */
export function trackHasClass(track: Track, classes: readonly string[]): boolean {
  if (classes.includes(track.label)) return true;
  const total = Object.values(track.labelVotes).reduce((a, b) => a + b, 0);
  if (total === 0) return false;
  return classes.some((c) => (track.labelVotes[c] ?? 0) / total >= MIN_LABEL_SHARE);
}

export function unionBox(boxes: readonly PixelBox[]): PixelBox {
  return {
    x1: Math.min(...boxes.map((b) => b.x1)),
    y1: Math.min(...boxes.map((b) => b.y1)),
    x2: Math.max(...boxes.map((b) => b.x2)),
    y2: Math.max(...boxes.map((b) => b.y2)),
  };
}

/** Shortest distance between two boxes' edges in pixels (0 when they touch or overlap). */
export function boxGap(a: PixelBox, b: PixelBox): number {
  const dx = Math.max(0, a.x1 - b.x2, b.x1 - a.x2);
  const dy = Math.max(0, a.y1 - b.y2, b.y1 - a.y2);
  return Math.hypot(dx, dy);
}

export function boxHeight(b: PixelBox): number {
  return b.y2 - b.y1;
}

/** Intersection over the smaller box's area. */
export function overlapShare(a: PixelBox, b: PixelBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const smaller = Math.min((a.x2 - a.x1) * (a.y2 - a.y1), (b.x2 - b.x1) * (b.y2 - b.y1));
  return smaller > 0 ? (iw * ih) / smaller : 0;
}

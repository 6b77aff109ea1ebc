/**
 * Shared plain-data types of the edge violation logic (tracker → zones/rules → lifecycle).
 * All times are epoch ms taken from video frame timestamps, never from the wall clock.
 */
import type { PixelBox } from '../../detector/types.js';

export interface FrameSize {
  width: number;
  height: number;
}

/** One tracked object as reported by the Tracker (a snapshot: mutating it does not affect the tracker). */
export interface Track {
  /** Unique per Tracker instance. */
  id: string;
  /** Majority vote of the recent detector labels. */
  label: string;
  /** Labels that may flip into each other (car/truck/bus/motorcycle → 'vehicle'); otherwise the label itself. */
  classGroup: string;
  /** Counts of the recent labels (the voting window), e.g. { car: 9, truck: 6 }. */
  labelVotes: Record<string, number>;
  /** Smoothed box. */
  box: PixelBox;
  /** Smoothed detector score. */
  score: number;
  /** Estimated velocity of the box centre, px/s. */
  velocity: { x: number; y: number };
  firstSeenMs: number;
  lastSeenMs: number;
  /** Number of detector matches (holdStill does not count). */
  hits: number;
  /** hits >= minHits: only confirmed tracks are returned by the tracker. */
  confirmed: boolean;
  /** Seen in the latest frame: matched to a detection, or held still by holdStill(). */
  matched: boolean;
  stationary: boolean;
  /** When it stopped moving (start of the still period) while stationary, else null. */
  stationarySinceMs: number | null;
}

export type { ViolationType, EndReason } from '../../contract/index.js';
import type { EndReason, ViolationType } from '../../contract/index.js';

/** A violation that currently holds (its dwell is satisfied); the lifecycle turns these into events. */
export interface ViolationCandidate {
  /** Stable id of the violation, e.g. `${zoneId}/${trackId}`. */
  key: string;
  zoneId: string;
  type: ViolationType;
  /** Vehicle label; for vending the distinct goods labels joined by '+'; 'sensor' for sensor-only. */
  label: string;
  /** 0..1 */
  confidence: number;
  /** The offending box (vending: union of the stall's goods); null for sensor-only candidates (no camera). */
  box: PixelBox | null;
  subjectTrackIds: string[];
  /** Sensor bays that corroborate (camera candidates) or make (sensor-only) the candidate. */
  sensorBayIds?: string[];
  /** When the dwell clock started. */
  dwellStartMs: number;
  /** When the subject was first seen. */
  firstSeenMs: number;
}

/** Street sensor state by bay id (structurally compatible with SensorHub.state). */
export type SensorReadings = ReadonlyMap<string, { readonly occupied: boolean; readonly sinceMs: number }>;


export interface LifecycleEvent {
  state: 'started' | 'updated' | 'ended';
  /** ULID assigned at `started`, the same for the whole violation. */
  eventId: string;
  /** Latest known candidate. */
  candidate: ViolationCandidate;
  firstSeenAtMs: number;
  /** When the candidate first appeared (its dwell was satisfied); the eventId encodes this time. */
  discoveredAtMs: number;
  endedAtMs?: number;
  reason?: EndReason;
  /** Last time it was a candidate − firstSeenAtMs, in seconds (ended only). */
  stayedSeconds?: number;
  /** Take an evidence photo with this event (at started, and once more after evidenceRepeatSeconds). */
  captureEvidence: boolean;
}

/** Per-zone timing of lifecycle messages (a ZoneConfig satisfies it). */
export interface ZoneTiming {
  updateSeconds: number;
  evidenceRepeatSeconds: number;
  /** A violation ends as `left` only after its candidate has been gone this long (default 0). */
  leaveGraceSeconds?: number;
}

/**
 * Scores what a replay detected against what was labelled: one-to-one matches, true and false
 * positives, misses, precision, recall and discovery delay, per clip and per violation type.
 * Pure: the replay and the labels file are read elsewhere.
 */
import { violationType, type ViolationType } from '../../contract/index.js';
import type { LabelledViolation } from './labels.js';

export type Box = [x1: number, y1: number, x2: number, y2: number];

/** A violation the replay published (its `started` message, plus the `ended` one's time if any). */
export interface DetectedViolation {
  type: ViolationType;
  zone: string;
  /** Seconds into the clip. */
  discoveredAt: number;
  endedAt?: number;
  box?: Box;
}

export interface Counts {
  tp: number;
  fp: number;
  misses: number;
  /** tp / (tp + fp); null when nothing was detected. */
  precision: number | null;
  /** tp / (tp + misses); null when nothing was labelled. */
  recall: number | null;
  /** Detected discovery − labelled start over the matches, seconds; null without matches. */
  delay: { mean: number; max: number } | null;
}

export interface Match {
  label: LabelledViolation;
  detection: DetectedViolation;
  /** Seconds; negative when the box discovered it before the labelled start. */
  delay: number;
}

export interface ClipScore {
  matches: Match[];
  falsePositives: DetectedViolation[];
  misses: LabelledViolation[];
}

export const VIOLATION_TYPES: readonly ViolationType[] = violationType.options;

/** Labelled boxes are drawn by eye, so any real overlap is enough; this only rules out the wrong vehicle. */
export const MIN_IOU = 0.1;

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * Whether a detection can be that labelled violation: same type and zone, the times overlap (the
 * detection lasts from its discovery to its end, the label from its start to its end, either
 * open-ended without one), and the boxes overlap when both have one.
 */
export function canMatch(label: LabelledViolation, d: DetectedViolation, minIou = MIN_IOU): boolean {
  if (label.type !== d.type || label.zone !== d.zone) return false;
  if (label.end !== undefined && d.discoveredAt > label.end) return false;
  if (d.endedAt !== undefined && d.endedAt < label.start) return false;
  return !label.box || !d.box || iou(label.box, d.box) >= minIou;
}

/**
 * Pairs labels and detections one-to-one. Greedy on the smallest |delay| (ties: the larger IoU):
 * a camera's labels are few and far apart, so the nearest discovery is the one meant, and an
 * optimal assignment would buy nothing but code.
 */
export function scoreClip(labels: readonly LabelledViolation[], detections: readonly DetectedViolation[], minIou = MIN_IOU): ClipScore {
  const pairs: { li: number; di: number; delay: number; overlap: number }[] = [];
  labels.forEach((label, li) => detections.forEach((d, di) => {
    if (!canMatch(label, d, minIou)) return;
    pairs.push({ li, di, delay: d.discoveredAt - label.start, overlap: label.box && d.box ? iou(label.box, d.box) : 0 });
  }));
  pairs.sort((a, b) => Math.abs(a.delay) - Math.abs(b.delay) || b.overlap - a.overlap);
  const usedL = new Set<number>();
  const usedD = new Set<number>();
  const matches: Match[] = [];
  for (const p of pairs) {
    if (usedL.has(p.li) || usedD.has(p.di)) continue;
    usedL.add(p.li);
    usedD.add(p.di);
    matches.push({ label: labels[p.li], detection: detections[p.di], delay: p.delay });
  }
  return {
    matches,
    falsePositives: detections.filter((_, i) => !usedD.has(i)),
    misses: labels.filter((_, i) => !usedL.has(i)),
  };
}

/** The counts of the given scores, restricted to one type when given. */
export function counts(scores: readonly ClipScore[], type?: ViolationType): Counts {
  const keep = <T extends { type: ViolationType }>(v: T) => type === undefined || v.type === type;
  const matches = scores.flatMap((s) => s.matches).filter((m) => keep(m.label));
  const tp = matches.length;
  const fp = scores.flatMap((s) => s.falsePositives).filter(keep).length;
  const misses = scores.flatMap((s) => s.misses).filter(keep).length;
  const delays = matches.map((m) => m.delay);
  return {
    tp,
    fp,
    misses,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    recall: tp + misses === 0 ? null : tp / (tp + misses),
    delay: delays.length === 0 ? null : { mean: delays.reduce((a, b) => a + b, 0) / delays.length, max: Math.max(...delays) },
  };
}

export interface Thresholds {
  minPrecision?: number;
  minRecall?: number;
  maxDelay?: number;
}

/**
 * The thresholds the totals miss, one sentence each; empty when all are met. A measure that is
 * null (nothing detected, nothing labelled, nothing matched) has nothing to fall short of.
 */
export function unmetThresholds(total: Counts, t: Thresholds): string[] {
  const out: string[] = [];
  if (t.minPrecision !== undefined && total.precision !== null && total.precision < t.minPrecision) {
    out.push(`precision ${total.precision.toFixed(2)} < --min-precision ${t.minPrecision}`);
  }
  if (t.minRecall !== undefined && total.recall !== null && total.recall < t.minRecall) {
    out.push(`recall ${total.recall.toFixed(2)} < --min-recall ${t.minRecall}`);
  }
  if (t.maxDelay !== undefined && total.delay !== null && total.delay.max > t.maxDelay) {
    out.push(`discovery delay ${total.delay.max.toFixed(1)} s > --max-delay ${t.maxDelay} s`);
  }
  return out;
}

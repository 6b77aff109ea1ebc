/**
 * Small multi-object tracker: IoU association on constant-velocity predicted boxes, label voting
 * within a class group, and a stationary decision from box movement. Pure: time is passed in.
 */
import type { ObjectBox, PixelBox } from '../../detector/types.js';
import { DEFAULT_VEHICLE_CLASSES, type TrackingConfig } from '../config.js';
import type { FrameSize, Track } from './violation.js';
import { iou } from '../../detector/nms.js';

export type TrackerOptions = Omit<TrackingConfig, 'queueHoldSeconds'> & {
  /** Labels the detector flips between for one object; they form the 'vehicle' class group. */
  vehicleClasses?: string[];
  /** Detector matches before a track is reported (default 2). */
  minHits?: number;
  /** How many recent labels vote on the label (default 15). */
  labelWindow?: number;
  /** A stationary object must be out of place this long to count as moving again (default 1 s), so one odd box does not reset its dwell. */
  moveConfirmSeconds?: number;
  /** Track ids are `${idPrefix}${n}` (default 'T'). */
  idPrefix?: string;
};

export const VEHICLE_GROUP = 'vehicle';

/** A detector's object; `everyMs`: its source looks only this often (a zone model), not every frame. */
export type TrackerInput = ObjectBox & { everyMs?: number };

/** Position/size gain and velocity gain of the alpha-beta filter. */
const ALPHA = 0.5;
const BETA = 0.2;
const SCORE_ALPHA = 0.3;
/** Predictions never extrapolate further than this (a lost track stops "flying"). */
const MAX_COAST_MS = 1000;
/** Unconfirmed tracks are forgotten quickly: one-off false detections must not linger. */
const TENTATIVE_GAP_MS = 1000;
/** Centre-distance fallback: how far (in box sizes) a box may jump between frames. */
const CENTER_GATE = 2;

interface TrackState {
  id: string;
  classGroup: string;
  label: string;
  labels: string[];
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** px per ms */
  vx: number;
  vy: number;
  score: number;
  firstSeenMs: number;
  lastSeenMs: number;
  hits: number;
  /** How often the source that found it looks (0: every frame): a tentative track waits that much longer for its second hit. */
  everyMs: number;
  matched: boolean;
  /** Where and since when the object has been still (within tolerance). */
  anchor: { x: number; y: number; ms: number };
  /** A stationary object seen out of place since this time (not yet confirmed as moving). */
  excursionSinceMs: number | null;
  stationary: boolean;
}

interface Detection {
  obj: TrackerInput;
  group: string;
}

export class Tracker {
  private readonly tracks: TrackState[] = [];
  private readonly vehicleClasses: Set<string>;
  private readonly minHits: number;
  private readonly labelWindow: number;
  private readonly moveConfirmMs: number;
  private readonly idPrefix: string;
  private seq = 0;

  constructor(private readonly cfg: TrackerOptions) {
    this.vehicleClasses = new Set(cfg.vehicleClasses ?? DEFAULT_VEHICLE_CLASSES);
    this.minHits = cfg.minHits ?? 2;
    this.labelWindow = cfg.labelWindow ?? 15;
    this.moveConfirmMs = (cfg.moveConfirmSeconds ?? 1) * 1000;
    this.idPrefix = cfg.idPrefix ?? 'T';
  }

  classGroupOf(label: string): string {
    return this.vehicleClasses.has(label) ? VEHICLE_GROUP : label;
  }

  /** One detector frame: associates, updates, creates and drops tracks; returns the confirmed live tracks. */
  update(tsMs: number, objects: readonly TrackerInput[], frame: FrameSize): Track[] {
    for (const t of this.tracks) t.matched = false;
    const dets: Detection[] = objects.map((obj) => ({ obj, group: this.classGroupOf(obj.label) }));
    const pairs = this.associate(tsMs, dets);
    const usedDets = new Set<number>();
    for (const [ti, di] of pairs) {
      this.correct(this.tracks[ti], dets[di].obj, tsMs);
      usedDets.add(di);
    }
    const fresh: TrackState[] = [];
    dets.forEach((d, di) => {
      if (!usedDets.has(di)) fresh.push(this.create(d, tsMs));
    });
    this.prune(tsMs, frame);
    this.tracks.push(...fresh);
    return this.confirmed();
  }

  /**
   * A frame skipped by the motion gate (nothing moved): every live track counts as seen where it
   * was at tsMs, so stationary dwell keeps counting. Does not add hits (only the detector confirms).
   */
  holdStill(tsMs: number): Track[] {
    for (const t of this.tracks) {
      if (tsMs < t.lastSeenMs) continue;
      t.matched = true;
      t.lastSeenMs = tsMs;
      t.vx = 0;
      t.vy = 0;
      this.observeStillness(t, tsMs);
    }
    return this.confirmed();
  }

  /**
   * A frame while the camera's view moves (camera_moved): boxes are not where the objects are, so
   * detections are not associated and no tracks are made from them. Stationary tracks are held
   * where they settled, seen at tsMs: a parked vehicle is found on its own track again when the
   * view settles back, its dwell unbroken (matching the shaken boxes dragged it off, re-anchored
   * it as moving, or lost it to a new track: a second violation). The sightings before the move
   * was noticed are no evidence that it moved. The other tracks go unseen and end as they would.
   */
  hold(tsMs: number, frame: FrameSize): Track[] {
    for (const t of this.tracks) {
      t.matched = t.stationary && tsMs >= t.lastSeenMs;
      if (!t.matched) continue;
      t.lastSeenMs = tsMs;
      t.cx = t.anchor.x;
      t.cy = t.anchor.y;
      t.vx = 0;
      t.vy = 0;
      t.excursionSinceMs = null;
    }
    this.prune(tsMs, frame);
    return this.confirmed();
  }

  /** Every live track including unconfirmed ones (diagnostics, tests). */
  allTracks(): Track[] {
    return this.tracks.map(snapshot(this.minHits));
  }

  private confirmed(): Track[] {
    return this.tracks.filter((t) => t.hits >= this.minHits).map(snapshot(this.minHits));
  }

  /**
   * Greedy assignment in three passes, each only among what is still unmatched and within a class group:
   * 1. IoU with the motion-predicted box, 2. IoU with the last box (a prediction gone astray),
   * 3. centre distance for moving boxes that jumped past any overlap (small, fast, or a fresh track without velocity).
   */
  private associate(tsMs: number, dets: Detection[]): [number, number][] {
    const predicted = this.tracks.map((t) => predictBox(t, tsMs));
    const last = this.tracks.map((t) => boxOf(t));
    const pairs: [number, number][] = [];
    const tUsed = new Set<number>();
    const dUsed = new Set<number>();
    const pass = (score: (ti: number, di: number) => number | null) => {
      const cands: { ti: number; di: number; s: number }[] = [];
      this.tracks.forEach((t, ti) => {
        if (tUsed.has(ti)) return;
        dets.forEach((d, di) => {
          if (dUsed.has(di) || d.group !== t.classGroup) return;
          const s = score(ti, di);
          if (s !== null) cands.push({ ti, di, s });
        });
      });
      cands.sort((a, b) => b.s - a.s || a.ti - b.ti || a.di - b.di);
      for (const c of cands) {
        if (tUsed.has(c.ti) || dUsed.has(c.di)) continue;
        tUsed.add(c.ti);
        dUsed.add(c.di);
        pairs.push([c.ti, c.di]);
      }
    };
    const thr = this.cfg.iouThreshold;
    pass((ti, di) => {
      const v = iou(predicted[ti], dets[di].obj.box);
      return v >= thr && v > 0 ? v : null;
    });
    pass((ti, di) => {
      const v = iou(last[ti], dets[di].obj.box);
      return v >= thr && v > 0 ? v : null;
    });
    pass((ti, di) => {
      const t = this.tracks[ti];
      // A parked object that has not begun to move keeps its id for its own box only (no stealing by a newcomer nearby).
      const settled = t.stationary && t.excursionSinceMs === null;
      if (settled || tsMs - t.lastSeenMs > MAX_COAST_MS) return null;
      const p = predicted[ti];
      const b = dets[di].obj.box;
      const areaRatio = area(b) / Math.max(area(p), 1e-9);
      if (areaRatio < 0.5 || areaRatio > 2) return null;
      const dist = Math.hypot(centerX(b) - centerX(p), centerY(b) - centerY(p));
      return dist <= CENTER_GATE * Math.max(t.w, t.h) ? -dist : null;
    });
    return pairs;
  }

  private create(d: Detection, tsMs: number): TrackState {
    const b = d.obj.box;
    const cx = centerX(b);
    const cy = centerY(b);
    return {
      id: `${this.idPrefix}${++this.seq}`,
      classGroup: d.group,
      label: d.obj.label,
      labels: [d.obj.label],
      cx,
      cy,
      w: b.x2 - b.x1,
      h: b.y2 - b.y1,
      vx: 0,
      vy: 0,
      score: d.obj.score,
      firstSeenMs: tsMs,
      lastSeenMs: tsMs,
      hits: 1,
      everyMs: d.obj.everyMs ?? 0,
      matched: true,
      anchor: { x: cx, y: cy, ms: tsMs },
      excursionSinceMs: null,
      stationary: false,
    };
  }

  /** Alpha-beta update of position/velocity/size from a matched detection. */
  private correct(t: TrackState, obj: ObjectBox, tsMs: number): void {
    const b = obj.box;
    const zx = centerX(b);
    const zy = centerY(b);
    const dt = tsMs - t.lastSeenMs;
    if (dt <= 0) {
      t.cx += ALPHA * (zx - t.cx);
      t.cy += ALPHA * (zy - t.cy);
    } else if (t.hits === 1) {
      // Second sighting: the displacement is the best velocity guess there is.
      t.vx = (zx - t.cx) / dt;
      t.vy = (zy - t.cy) / dt;
      t.cx = zx;
      t.cy = zy;
    } else {
      const h = Math.min(dt, MAX_COAST_MS);
      const px = t.cx + t.vx * h;
      const py = t.cy + t.vy * h;
      const rx = zx - px;
      const ry = zy - py;
      t.cx = px + ALPHA * rx;
      t.cy = py + ALPHA * ry;
      t.vx += (BETA * rx) / dt;
      t.vy += (BETA * ry) / dt;
    }
    t.w += ALPHA * (b.x2 - b.x1 - t.w);
    t.h += ALPHA * (b.y2 - b.y1 - t.h);
    t.score += SCORE_ALPHA * (obj.score - t.score);
    t.labels.push(obj.label);
    if (t.labels.length > this.labelWindow) t.labels.shift();
    t.label = majorityLabel(t.labels, t.label);
    t.hits++;
    t.matched = true;
    t.lastSeenMs = Math.max(t.lastSeenMs, tsMs);
    this.observeStillness(t, tsMs);
  }

  /**
   * Stationary = the centre stayed within tolerance × box size of an anchor for stationarySeconds.
   * A moving object re-anchors at every out-of-place sighting, so the anchor time is when it stopped.
   * A stationary one must be out of place for moveConfirmSeconds before it counts as moving.
   */
  private observeStillness(t: TrackState, tsMs: number): void {
    const tol = this.cfg.stationaryTolerance;
    const inPlace = Math.abs(t.cx - t.anchor.x) <= tol * t.w && Math.abs(t.cy - t.anchor.y) <= tol * t.h;
    if (inPlace) {
      t.excursionSinceMs = null;
    } else if (!t.stationary) {
      t.anchor = { x: t.cx, y: t.cy, ms: tsMs };
    } else {
      t.excursionSinceMs ??= tsMs;
      if (tsMs - t.excursionSinceMs >= this.moveConfirmMs) {
        t.anchor = { x: t.cx, y: t.cy, ms: tsMs };
        t.excursionSinceMs = null;
      }
    }
    t.stationary = tsMs - t.anchor.ms >= this.cfg.stationarySeconds * 1000;
  }

  /** Drops tracks unseen too long, one-off tentatives, and moving tracks predicted out of the frame. */
  private prune(tsMs: number, frame: FrameSize): void {
    const maxGapMs = this.cfg.maxGapSeconds * 1000;
    for (let i = this.tracks.length - 1; i >= 0; i--) {
      const t = this.tracks[i];
      const gap = tsMs - t.lastSeenMs;
      const tentative = t.hits < this.minHits;
      let drop = gap > maxGapMs || (tentative && gap > Math.min(maxGapMs, TENTATIVE_GAP_MS + t.everyMs));
      if (!drop && !t.matched && !t.stationary) {
        const p = predictBox(t, tsMs);
        const x = centerX(p);
        const y = centerY(p);
        drop = x < 0 || y < 0 || x > frame.width || y > frame.height;
      }
      if (drop) this.tracks.splice(i, 1);
    }
  }
}

function majorityLabel(labels: readonly string[], current: string): string {
  const counts = countLabels(labels);
  let best = current;
  let bestN = counts[current] ?? 0;
  for (const [label, n] of Object.entries(counts)) {
    if (n > bestN) {
      best = label;
      bestN = n;
    }
  }
  return best; // ties keep the current label: no flicker
}

function countLabels(labels: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}

function boxOf(t: TrackState): PixelBox {
  return { x1: t.cx - t.w / 2, y1: t.cy - t.h / 2, x2: t.cx + t.w / 2, y2: t.cy + t.h / 2 };
}

function predictBox(t: TrackState, tsMs: number): PixelBox {
  const dt = Math.min(Math.max(tsMs - t.lastSeenMs, 0), MAX_COAST_MS);
  const b = boxOf(t);
  const dx = t.vx * dt;
  const dy = t.vy * dt;
  return { x1: b.x1 + dx, y1: b.y1 + dy, x2: b.x2 + dx, y2: b.y2 + dy };
}

const snapshot =
  (minHits: number) =>
  (t: TrackState): Track => ({
    id: t.id,
    label: t.label,
    classGroup: t.classGroup,
    labelVotes: countLabels(t.labels),
    box: boxOf(t),
    score: t.score,
    velocity: { x: t.vx * 1000, y: t.vy * 1000 },
    firstSeenMs: t.firstSeenMs,
    lastSeenMs: t.lastSeenMs,
    hits: t.hits,
    confirmed: t.hits >= minHits,
    matched: t.matched,
    stationary: t.stationary,
    stationarySinceMs: t.stationary ? t.anchor.ms : null,
  });

function area(b: PixelBox): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

function centerX(b: PixelBox): number {
  return (b.x1 + b.x2) / 2;
}

function centerY(b: PixelBox): number {
  return (b.y1 + b.y2) / 2;
}

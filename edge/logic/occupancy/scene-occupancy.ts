import type { CameraAlert } from '../../../contract/index.js';
import type { PixelBox, RgbFrame } from '../../../detector/types.js';
import type { NoVendingZone, OccupancyConfig } from '../../config.js';
import { boxGap, boxHeight, overlapShare, unionBox } from '../rules/shared.js';
import { tendingPeople } from '../rules/vending.js';
import type { Track } from '../violation.js';
import { boxInZone } from '../zones.js';
import { changeSpread } from './change-spread.js';
import { EmptyScene } from './empty-scene.js';
import { NO_TENDING, tallyTending, type TendingTally } from './keeper-spells.js';
import type { StationaryObject } from './stationary-object.js';
import { cellsOf, components, lumaGrid, markBoxes, type LumaGrid } from './luma-grid.js';

/** Something new standing still in a no_vending zone that no tracked person or vehicle explains. */
export interface OccupancyState {
  /** True while the camera's rules must wait: the view changed and the empty scene is being learnt again. */
  paused: boolean;
  objects: readonly StationaryObject[];
  alerts: readonly { kind: CameraAlert; sinceMs: number }[];
}

interface Seen extends Omit<StationaryObject, 'tendedMs'> {
  /** The box it had when first seen: what it may not leave to stay the same object. */
  anchor: PixelBox;
  lastSeenMs: number;
  /** Samples since it was first seen, and those it was in view in (not hidden, not missing). */
  samples: number;
  inView: number;
  tending: TendingTally;
  /** Samples before persistSeconds in which its region looked like something taken away (wasRemoved), and all in view then. */
  removedVotes: number;
  votes: number;
  /** Past persistSeconds: found new, it is no longer tested. */
  settled: boolean;
}

/** A tracked object's box is grown by this share of its size each side: its shadow and outline are its own. */
const TRACK_PAD = 0.2;
/** Share of the smaller box two boxes must share to be one object seen again. */
const SAME_OBJECT_OVERLAP = 0.5;
/** Share of an object's cells covered by tracked objects above which it is taken as hidden behind them, not gone. */
const HIDDEN_SHARE = 0.5;
/**
 * Share of its samples an object must have been in view: a person standing still whom the detector
 * misses now and then shows as a change only then, and is hidden under their own track otherwise.
 */
const MIN_IN_VIEW = 0.5;
/**
 * Share of the picture's blocks a sudden change must reach to be the camera moved: more than the 9 of
 * 16 one compact object can touch (changeSpread), so a big stall appearing at once is an object.
 */
const MOVE_SPREAD = 2 / 3;

/**
 * Scene occupancy of one camera, sampled every `sampleSeconds` of frame time: learns the empty scene
 * (everything there when the camera starts is scene), then reports regions in no_vending zones that
 * differ from it, are not people or vehicles being tracked, and stay put for `persistSeconds`. A
 * sudden change over much of the picture is the camera moved: the rules pause and the scene is learnt
 * again once the picture is steady.
 */
export class SceneOccupancy {
  private readonly scene: EmptyScene;
  private phase: 'learning' | 'watching' = 'learning';
  private phaseStartMs: number | null = null;
  private lastSampleMs = -Infinity;
  private prevShare = 0;
  private prevChanged: Uint8Array | null = null;
  private prevLuma: Float32Array | null = null;
  private seen: Seen[] = [];
  private nextId = 1;
  private movedSinceMs: number | null = null;
  private state: OccupancyState = { paused: false, objects: [], alerts: [] };

  constructor(private readonly opts: OccupancyConfig) {
    this.scene = new EmptyScene({ cellDelta: opts.cellDelta, adaptRate: opts.sampleSeconds / opts.adaptSeconds });
  }

  /** The state at tsMs; a frame between samples returns the last sample's. */
  observe(frame: RgbFrame, tsMs: number, tracks: readonly Track[], zones: readonly NoVendingZone[]): OccupancyState {
    if (tsMs - this.lastSampleMs < this.opts.sampleSeconds * 1000) return this.state;
    const dtMs = Math.min(tsMs - this.lastSampleMs, 2 * this.opts.sampleSeconds * 1000);
    this.lastSampleMs = tsMs;
    const grid = lumaGrid(frame, this.opts.gridColumns);
    const ignored = tracks.filter((t) => this.opts.ignoreClasses.includes(t.label));
    const covered = markBoxes(grid, ignored.map((t) => t.box), TRACK_PAD);
    if (this.phase === 'learning') this.learn(grid, covered, tsMs);
    else this.watch(grid, covered, tsMs, dtMs, frame, tracks, zones);
    this.prevLuma = grid.luma;
    const alerts = this.movedSinceMs === null ? [] : [{ kind: 'camera_moved' as const, sinceMs: this.movedSinceMs }];
    this.state = {
      paused: this.movedSinceMs !== null,
      // Seen (or hidden) in this sample: an object missing for a moment keeps its id and dwell, while the lifecycle's leave grace rides the gap out.
      objects: this.seen.filter((s) => s.lastSeenMs === tsMs && s.inView >= MIN_IN_VIEW * s.samples && tsMs - s.sinceMs >= this.opts.persistSeconds * 1000).map(({ id, zoneId, box, sinceMs, tending }) => ({ id, zoneId, box, sinceMs, tendedMs: tending.tendedMs })),
      alerts,
    };
    return this.state;
  }

  /** A new stream (reconnect, other size): the scene is learnt again, without any alert. */
  reset(): void {
    this.startLearning();
    this.movedSinceMs = null;
    this.lastSampleMs = -Infinity;
    this.prevLuma = null;
    this.state = { paused: false, objects: [], alerts: [] };
  }

  private startLearning(): void {
    this.scene.reset();
    this.phase = 'learning';
    this.phaseStartMs = null;
    this.seen = [];
    this.prevShare = 0;
    this.prevChanged = null;
  }

  /** Learning restarts while the picture keeps changing as a whole (a camera still swinging). */
  private learn(grid: LumaGrid, covered: Uint8Array, tsMs: number): void {
    if (this.phaseStartMs === null || (this.prevLuma?.length === grid.luma.length && this.unsteady(grid, covered))) {
      this.scene.reset();
      this.phaseStartMs = tsMs;
    }
    this.scene.learn(grid, covered);
    const needed = (this.movedSinceMs === null ? this.opts.learnSeconds : this.opts.relearnSeconds) * 1000;
    if (tsMs - this.phaseStartMs >= needed) {
      this.scene.finishLearning();
      this.phase = 'watching';
      this.movedSinceMs = null;
    }
  }

  private unsteady(grid: LumaGrid, covered: Uint8Array): boolean {
    const prev = this.prevLuma!;
    const changed = new Uint8Array(prev.length);
    let compared = 0;
    let changes = 0;
    for (let c = 0; c < prev.length; c++) {
      if (covered[c]) continue;
      compared++;
      if (Math.abs(grid.luma[c] - prev[c]) > this.opts.cellDelta) {
        changed[c] = 1;
        changes++;
      }
    }
    return compared > 0 && this.moved(grid, changed, covered, changes / compared);
  }

  /** A sudden change of `share` of the picture, its cells `changed`, is the view moving when it is spread over all of it. */
  private moved(grid: LumaGrid, changed: Uint8Array, covered: Uint8Array, share: number): boolean {
    return share >= this.opts.moveShare && changeSpread(grid, changed, covered, this.opts.moveShare) >= MOVE_SPREAD;
  }

  private watch(grid: LumaGrid, covered: Uint8Array, tsMs: number, dtMs: number, frame: RgbFrame, tracks: readonly Track[], zones: readonly NoVendingZone[]): void {
    if (grid.luma.length !== this.prevLuma?.length) {
      this.startLearning();
      this.learn(grid, covered, tsMs);
      return;
    }
    const diff = this.scene.compare(grid, covered);
    const jump = diff.changedShare - this.prevShare;
    // Only the cells that changed since the last sample show where the jump is.
    const fresh = this.prevChanged ? newlyChanged(diff.changed, this.prevChanged) : diff.changed;
    this.prevShare = diff.changedShare;
    this.prevChanged = diff.changed;
    if (this.moved(grid, fresh, covered, jump)) {
      this.movedSinceMs = tsMs;
      this.startLearning();
      this.learn(grid, covered, tsMs);
      return;
    }
    const minCells = this.opts.minObjectArea * grid.cols * grid.rows;
    const changes = components(grid, diff.changed);
    const found = zones.flatMap((zone) => {
      const inZone = changes.filter((c) => c.cells >= minCells && boxInZone(c.box, zone.polygon, frame));
      return clusterBoxes(inZone.map((c) => c.box), zone.clusterGapFactor).map((box) => ({ zone, box }));
    });
    const matched = new Set<Seen>();
    for (const { zone, box } of found) {
      const same = this.seen.find((s) => s.zoneId === zone.id && overlapShare(s.anchor, box) >= SAME_OBJECT_OVERLAP);
      if (same) {
        // Partly hidden behind a passer-by, it keeps the box it had in full view.
        if (matched.has(same)) same.box = unionBox([same.box, box]);
        else if (hiddenShare(grid, same.box, covered) === 0) same.box = box;
        same.lastSeenMs = tsMs;
        matched.add(same);
      } else {
        const s: Seen = { id: `O${this.nextId++}`, zoneId: zone.id, box, anchor: box, sinceMs: tsMs, lastSeenMs: tsMs, tending: NO_TENDING, samples: 0, inView: 0, removedVotes: 0, votes: 0, settled: false };
        this.seen.push(s);
        matched.add(s);
      }
    }
    const persistMs = this.opts.persistSeconds * 1000;
    this.seen = this.seen.filter((s) => {
      s.samples++;
      if (matched.has(s)) s.inView++;
      else if (hiddenShare(grid, s.box, covered) >= HIDDEN_SHARE) s.lastSeenMs = tsMs;
      if (!s.settled) {
        const region = changedIn(grid, s.box, diff.changed);
        if (tsMs - s.sinceMs < persistMs) {
          if (matched.has(s)) {
            s.votes++;
            if (this.scene.removedAt(grid, region, diff.normalised, covered)) s.removedVotes++;
          }
        } else if (2 * s.removedVotes > s.votes) {
          // The place of something that was there when the scene was learnt: pavement now, not a new object.
          this.scene.absorb(region, diff.normalised);
          return false;
        } else s.settled = true;
      }
      return tsMs - s.lastSeenMs <= this.opts.holdSeconds * 1000 && zones.some((z) => z.id === s.zoneId);
    });
    for (const s of this.seen) {
      const zone = zones.find((z) => z.id === s.zoneId)!;
      if (tsMs - s.sinceMs > zone.dwellSeconds * 1000) continue;
      const keepers = tendingPeople(zone, tracks, s.box).map(({ id, box }) => ({ id, box }));
      s.tending = tallyTending(s.tending, tsMs, dtMs, keepers, this.opts.keeperMinSeconds * 1000);
    }
    this.scene.update(diff.normalised, covered, markBoxes(grid, this.seen.map((s) => s.box)));
  }
}

/** Boxes closer than gapFactor × the taller one's height merged into one (single linkage): the parts of one stall. */
export function clusterBoxes(boxes: readonly PixelBox[], gapFactor: number): PixelBox[] {
  const groups = boxes.map((b) => [b]);
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < groups.length && !merged; i++) {
      for (let j = i + 1; j < groups.length && !merged; j++) {
        const a = unionBox(groups[i]);
        const b = unionBox(groups[j]);
        if (boxGap(a, b) <= gapFactor * Math.max(boxHeight(a), boxHeight(b))) {
          groups[i].push(...groups.splice(j, 1)[0]);
          merged = true;
        }
      }
    }
  }
  return groups.map(unionBox);
}

/** Share of the cells `box` touches that tracked objects cover (only those cells are visited: it runs per object per sample). */
function hiddenShare(grid: LumaGrid, box: PixelBox, covered: Uint8Array): number {
  const { c1, c2, r1, r2 } = cellsOf(grid, box);
  let n = 0;
  let hidden = 0;
  for (let r = r1; r <= r2; r++) {
    for (let i = r * grid.cols + c1, end = r * grid.cols + c2; i <= end; i++) {
      n++;
      hidden += covered[i];
    }
  }
  return n ? hidden / n : 0;
}

/** The changed cells inside `box`. */
function changedIn(grid: LumaGrid, box: PixelBox, changed: Uint8Array): Uint8Array {
  const region = new Uint8Array(changed.length);
  const { c1, c2, r1, r2 } = cellsOf(grid, box);
  for (let r = r1; r <= r2; r++) {
    for (let i = r * grid.cols + c1, end = r * grid.cols + c2; i <= end; i++) region[i] = changed[i];
  }
  return region;
}

/** Cells changed now that were not at the previous sample. */
function newlyChanged(changed: Uint8Array, before: Uint8Array): Uint8Array {
  const fresh = new Uint8Array(changed.length);
  for (let c = 0; c < changed.length; c++) fresh[c] = changed[c] & (before[c] ^ 1);
  return fresh;
}

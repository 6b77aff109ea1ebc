/**
 * One camera's path from frames to messages: motion gate → detector (and the models of zones
 * due, on their crops) → tracker → zone rules → lifecycle → evidence photos and detection
 * messages. Time is the frame timestamp (epoch ms).
 */
import { ulid } from 'ulid';
import { toIso, type EvidenceRef } from '../contract/index.js';
import type { Logger } from '../common/logger.js';
import { iou, nms, nmsGroupTable } from '../detector/nms.js';
import type { PlateReader } from '../detector/plate/types.js';
import type { Detector, ObjectBox, PixelBox, RgbFrame } from '../detector/types.js';
import type { CameraConfig, EdgeConfig, NoVendingZone, ZoneConfig } from './config.js';
import { detectionMessage, type OpenViolation } from './logic/detection-message.js';
import { renderEvidence, sha256Hex } from './adapters/evidence.js';
import { ExemptVehicles } from './logic/exempt-vehicles.js';
import { ViolationLifecycle } from './logic/lifecycle.js';
import { MotionGate } from './logic/motion-gate.js';
import { planRegions } from './logic/region-plan.js';
import { isScheduleActive } from './logic/zones.js';
import { SceneOccupancy, type OccupancyState } from './logic/occupancy/scene-occupancy.js';
import { QueueWatcher } from './logic/queue.js';
import type { EdgePublisher } from './adapters/outbox.js';
import { PlateStage, type KnownPlate } from './plate-stage.js';
import { PARKING_TYPES, vehiclesStandingInZone, zoneCandidates, type RuleContext } from './logic/rules/index.js';
import { Tracker, VEHICLE_GROUP, type TrackerInput } from './logic/tracker.js';
import type { ZoneModelStats } from './logic/zone-model-telemetry.js';
import { ZoneModelStage } from './zone-model-stage.js';
import type { ZoneModel } from './zone-models.js';
import type { EndReason, LifecycleEvent, SensorReadings, Track, ViolationCandidate } from './logic/violation.js';

export interface CameraPipelineOptions {
  config: EdgeConfig;
  camera: CameraConfig;
  detector: Detector;
  publisher: EdgePublisher;
  /** Live state of the box's street sensors; empty in replays. */
  sensorState?: SensorReadings;
  /** Reads the plates of parked vehicles (shared by the cameras); none: plates are not read. */
  plateReader?: PlateReader;
  /** Called once the pipeline (and any plate read) is done with a frame: its buffer may be reused. */
  releaseFrame?: (frame: RgbFrame) => void;
  /** For the plate stage's failures; bound to the camera by the caller. */
  logger?: Logger;
  /** This camera's second-stage models by id (`cameras[].models`), run on its zones' crops. */
  zoneModels?: ReadonlyMap<string, ZoneModel>;
  /** Called when the camera's alerts (camera_moved) change: the agent republishes its status. */
  onAlerts?: () => void;
}

export interface CameraStats {
  frames: number;
  inferences: number;
  skippedFrames: number;
  inferenceMsTotal: number;
  /** Detector runs: one per inferred frame, or with regions one per region (a whole-frame pass replaces them). */
  detectorRuns: number;
  lastFrameMs: number | null;
  detectionsStarted: Record<string, number>;
  /** Parking violations not sent because the vehicle's plate is exempt. */
  exemptVehicles: number;
  /** Per zone model id: its runs on zone crops. */
  zoneModels: Record<string, ZoneModelStats>;
}

export class CameraPipeline {
  readonly cameraId: string;
  private config: EdgeConfig;
  private zones: ZoneConfig[];
  private readonly zoneById = new Map<string, ZoneConfig>();
  private tracker: Tracker;
  private readonly lifecycle = new ViolationLifecycle();
  private readonly gate: MotionGate;
  private readonly queue: QueueWatcher;
  private readonly open = new Map<string, OpenViolation>();
  private generation = 0;
  /** Frames in flight at once. */
  private readonly depth: number;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inflight: Promise<void>[] = [];
  private frameSize: { width: number; height: number } | null = null;
  /** People the detector saw in the latest inferred frame, blurred even before their track is confirmed. */
  private people: PixelBox[] = [];
  /** Whether `people` come from a whole-frame pass (regions see only part of the frame). */
  private peopleSeenWhole = true;
  /** The latest tracks, for region planning (a frame or two behind the frame being inferred). */
  private tracks: Track[] = [];
  private lastWholeMs: number | undefined;
  private nmsGroupCache: { classNames: readonly string[]; merge: string[][]; table: Int32Array } | undefined;
  private readonly plates: PlateStage | undefined;
  private readonly exempt: ExemptVehicles;
  private readonly zoneStage: ZoneModelStage;
  private readonly occupancy: SceneOccupancy | undefined;
  private occupied: OccupancyState = { paused: false, objects: [], alerts: [] };
  readonly stats: CameraStats = { frames: 0, inferences: 0, skippedFrames: 0, inferenceMsTotal: 0, detectorRuns: 0, lastFrameMs: null, detectionsStarted: {}, exemptVehicles: 0, zoneModels: {} };

  constructor(private readonly opts: CameraPipelineOptions) {
    this.cameraId = opts.camera.id;
    this.config = opts.config;
    // One frame per inference worker, plus one whose results the main thread applies meanwhile.
    this.depth = opts.config.detector.workers + 2;
    this.zones = opts.camera.zones;
    this.indexZones();
    this.zoneStage = new ZoneModelStage(opts.zoneModels ?? new Map(), this.zones, this.stats.zoneModels);
    this.tracker = this.newTracker();
    this.queue = new QueueWatcher({ holdSeconds: opts.config.tracking.queueHoldSeconds });
    const m = opts.config.motion;
    this.gate = new MotionGate({ enabled: m.enabled, recheckMs: m.recheckSeconds * 1000, threshold: m.threshold, locate: opts.config.detector.regions.enabled });
    if (opts.config.occupancy.enabled) this.occupancy = new SceneOccupancy(opts.config.occupancy);
    if (opts.plateReader && opts.config.plates.enabled) this.plates = new PlateStage(opts.plateReader, opts.config.plates, opts.logger);
    this.exempt = new ExemptVehicles(opts.config.exemptPlates, this.cameraId, (audit) => {
      this.stats.exemptVehicles++;
      opts.logger?.info(audit, 'exempt vehicle: violation not sent');
    });
  }

  /**
   * A remotely changed config (zones, privacy) applies from the next frame; open violations of
   * removed zones end as `left`.
   */
  applyConfig(config: EdgeConfig): void {
    const camera = config.cameras.find((c) => c.id === this.cameraId);
    if (!camera) return;
    this.config = config;
    this.exempt.update(config.exemptPlates);
    this.zones = camera.zones;
    this.indexZones();
    this.zoneStage.setZones(camera.zones);
  }

  /** What is wrong with the picture (camera_moved), for the agent status. */
  get alerts(): OccupancyState['alerts'] {
    return this.occupied.alerts;
  }

  get openDetections(): number {
    return this.open.size;
  }

  /**
   * Takes the next frame. Its inference starts at once (in parallel with earlier frames' when the
   * detector has several workers); tracking, rules and messages run strictly in frame order.
   * Resolves when the pipeline has room for another frame; a failure of an earlier frame rejects here.
   */
  async push(frame: RgbFrame, tsMs: number): Promise<void> {
    const infer = this.gate.shouldInfer(frame, tsMs);
    const t0 = performance.now();
    const zoneRun = infer ? this.zoneStage.due(tsMs, this.config.device.timezone) : undefined;
    const detection = infer
      ? this.detect(frame, tsMs).then(async (d) => {
          const ms = performance.now() - t0;
          return { ...d, objects: zoneRun ? [...d.objects, ...(await zoneRun(frame))] : d.objects, ms };
        })
      : null;
    detection?.catch(() => undefined); // surfaced through `step` below
    const step = this.tail.then(() => this.applyFrame(frame, tsMs, detection));
    this.tail = step.catch(() => undefined);
    this.inflight.push(step);
    if (this.inflight.length >= this.depth) await this.inflight.shift();
  }

  /** Waits until every pushed frame has been processed (and its plate reads are done). */
  async flush(): Promise<void> {
    const steps = this.inflight.splice(0);
    await Promise.all(steps);
    await this.plates?.drain();
  }

  /** The whole frame, or with `detector.regions` the planned regions (or the whole frame when due), merged. */
  private detect(frame: RgbFrame, tsMs: number): Promise<{ objects: ObjectBox[]; runs: number; whole: boolean }> {
    const { detector } = this.opts;
    const { regions, nmsIou, mergeClasses } = this.config.detector;
    if (!regions.enabled) return detector.detect(frame).then((objects) => ({ objects, runs: 1, whole: true }));
    const plan = planRegions(
      {
        frame,
        modelInput: detector.inputSize,
        zones: this.zones.filter((z) => isScheduleActive(z.schedule, tsMs, this.config.device.timezone)).map((z) => z.polygon),
        tracks: this.tracks.map((t) => t.box),
        motion: this.gate.motion,
        tsMs,
        lastWholeMs: this.lastWholeMs,
      },
      { maxRegions: regions.maxRegions, minSize: regions.minSize, wholeFrameEveryMs: regions.wholeFrameEverySeconds * 1000 },
    );
    if (plan.whole) this.lastWholeMs = tsMs;
    const passes = plan.whole ? [undefined] : plan.regions;
    return (async () => {
      const found: ObjectBox[] = [];
      // One pass after another: a detector may hold the frame's pixels in a worker while it runs.
      for (const region of passes) found.push(...(await detector.detect(frame, region)));
      // An object seen by two passes (overlapping regions, or a region and the whole frame) is one.
      return { objects: nms(found, nmsIou, this.nmsGroups(detector.classNames, mergeClasses)), runs: passes.length, whole: plan.whole };
    })();
  }

  /** The merge table for cross-pass NMS, rebuilt only when the model (an update) or the config changes. */
  private nmsGroups(classNames: readonly string[], merge: string[][]): Int32Array {
    const c = this.nmsGroupCache;
    if (c?.classNames === classNames && c.merge === merge) return c.table;
    this.nmsGroupCache = { classNames, merge, table: nmsGroupTable(classNames, merge) };
    return this.nmsGroupCache.table;
  }

  private async applyFrame(frame: RgbFrame, tsMs: number, detection: Promise<{ objects: TrackerInput[]; runs: number; whole: boolean; ms: number }> | null): Promise<void> {
    this.stats.frames++;
    this.stats.lastFrameMs = tsMs;
    this.frameSize = { width: frame.width, height: frame.height };
    const found = detection ? await detection : null;
    if (found) {
      this.stats.inferenceMsTotal += found.ms;
      this.stats.inferences++;
      this.stats.detectorRuns += found.runs;
      this.people = peopleIn(found.objects);
      this.peopleSeenWhole = found.whole;
    } else this.stats.skippedFrames++;
    // While the view moves (camera_moved, noticed on an earlier frame), the tracker holds what stood still.
    const tracks = this.occupied.paused ? this.tracker.hold(tsMs, frame) : found ? this.tracker.update(tsMs, found.objects, frame) : this.tracker.holdStill(tsMs);
    this.tracks = tracks;
    const ctx: RuleContext = {
      tsMs,
      frame,
      timeZone: this.config.device.timezone,
      cameraId: this.cameraId,
      sensorBays: this.config.sensors.bays,
      sensorState: this.opts.sensorState,
      queuedTrackIds: this.queue.observe(tsMs, tracks),
    };
    // Plates are read on fresh detections only: a frame without motion shows the same plate again.
    const reading = this.plates && detection ? this.plates.observe(frame, tsMs, this.standingVehicles(tracks, ctx), new Set(tracks.map((t) => t.id))) : undefined;
    this.observeScene(frame, tsMs, tracks);
    ctx.stationaryObjects = this.occupied.objects;
    // A moved camera's zones no longer lie where they were drawn: its violations wait, frozen, until the scene is learnt again.
    if (this.occupied.paused) this.lifecycle.hold(tsMs);
    const events = this.occupied.paused ? [] : this.lifecycle.step(tsMs, zoneCandidates(this.zones, tracks, ctx), (id) => this.zoneById.get(id) ?? DEFAULT_TIMING);
    for (const ev of events) await this.emit(ev, tsMs, frame, tracks);
    const release = this.opts.releaseFrame;
    if (release) {
      if (reading) void reading.finally(() => release(frame));
      else release(frame);
    }
  }

  /** The scene is no longer seen: every open violation ends, and tracking starts afresh. */
  async end(tsMs: number, reason: Exclude<EndReason, 'left'>): Promise<void> {
    await this.flush().catch(() => undefined); // frames already pushed belong before the end
    for (const ev of this.lifecycle.endAll(tsMs, reason)) await this.emit(ev, tsMs, null, []);
    this.tracker = this.newTracker();
    this.tracks = [];
    this.lastWholeMs = undefined;
    this.queue.reset();
    this.gate.reset();
    this.occupancy?.reset();
    this.setOccupied({ paused: false, objects: [], alerts: [] });
  }

  /** Every camera watches for a moved view (it pauses parking too); objects are looked for in no_vending zones only. */
  private observeScene(frame: RgbFrame, tsMs: number, tracks: Track[]): void {
    if (!this.occupancy) return;
    const vending = this.zones.filter((z): z is NoVendingZone => z.kind === 'no_vending');
    this.setOccupied(this.occupancy.observe(frame, tsMs, tracks, vending));
  }

  private setOccupied(next: OccupancyState): void {
    const changed = next.alerts.length !== this.occupied.alerts.length;
    this.occupied = next;
    if (changed) this.opts.onAlerts?.();
  }

  private newTracker(): Tracker {
    // A fresh prefix per generation keeps new track ids from colliding with ended violations' keys.
    const vehicleClasses = [...new Set(this.zones.flatMap((z) => (z.kind === 'no_parking' ? z.vehicleClasses : [])))];
    return new Tracker({ ...this.config.tracking, vehicleClasses: vehicleClasses.length ? vehicleClasses : undefined, idPrefix: `G${this.generation++}T` });
  }

  /** Vehicles standing still in any no_parking zone, each once. */
  private standingVehicles(tracks: Track[], ctx: RuleContext): Track[] {
    const standing = new Map<string, Track>();
    for (const z of this.zones) {
      if (z.kind === 'no_parking') for (const t of vehiclesStandingInZone(z, tracks, ctx)) standing.set(t.id, t);
    }
    return [...standing.values()];
  }

  private indexZones(): void {
    this.zoneById.clear();
    for (const z of this.zones) this.zoneById.set(z.id, z);
  }

  private async emit(ev: LifecycleEvent, tsMs: number, frame: RgbFrame | null, tracks: Track[]): Promise<void> {
    const { candidate: c } = ev;
    const plate = ev.state === 'ended' ? undefined : await this.plateOf(c);
    if (this.exempt.suppresses(ev, plate?.read.text, tsMs)) return;
    let open = this.open.get(ev.eventId);
    if (!open) {
      open = { refs: [], seq: 0 };
      this.open.set(ev.eventId, open);
    }
    if (ev.captureEvidence && frame && c.box) {
      const blur = [
        ...(this.config.privacy.blurPeople ? bystanders(await this.everyone(frame), tracks, c.subjectTrackIds) : []),
        ...(await this.othersPlates(frame, c, tracks, plate)),
      ];
      const photos = await renderEvidence({ frame, subject: c.box, label: c.label, blur });
      this.attach(open, 'full', photos.full, tsMs);
      this.attach(open, 'crop', photos.crop, tsMs);
    }
    if (plate) {
      open.plate = plate.read;
      // The close-up goes with the first message that knows this plate (and again if the vote changes).
      if (open.plateEvidenceFor !== plate.read.text) {
        this.attach(open, 'plate', plate.closeUp, Date.parse(plate.read.readAt));
        open.plateEvidenceFor = plate.read.text;
      }
    }
    const msg = detectionMessage(ev, open, { deviceId: this.opts.publisher.deviceId, cameraId: this.cameraId, frame: this.frameSize, sentAtMs: tsMs });
    if (ev.state === 'ended') this.open.delete(ev.eventId);
    else if (ev.state === 'started') this.stats.detectionsStarted[c.type] = (this.stats.detectionsStarted[c.type] ?? 0) + 1;
    this.opts.publisher.detection(msg);
  }

  /**
   * The people in the frame, for blurring. After a regions-only pass, someone outside the regions
   * would stay sharp in the photo, so the whole frame is searched for them (photos are rare). On a
   * copy: a plate read may still be reading the frame while a worker detector holds the pixels.
   */
  private async everyone(frame: RgbFrame): Promise<PixelBox[]> {
    if (!this.peopleSeenWhole) {
      this.people = peopleIn(await this.opts.detector.detect({ ...frame, data: Buffer.from(frame.data) }));
      this.peopleSeenWhole = true;
    }
    return this.people;
  }

  private attach(open: OpenViolation, kind: EvidenceRef['kind'], jpeg: Buffer, capturedAtMs: number): void {
    const evidenceId = ulid(capturedAtMs);
    this.opts.publisher.evidence(this.cameraId, evidenceId, jpeg);
    open.refs.push({ evidenceId, sha256: sha256Hex(jpeg), capturedAt: toIso(capturedAtMs), contentType: 'image/jpeg', bytes: jpeg.length, kind });
  }

  /** The voted plate of a parked vehicle, once any read in flight has finished. */
  private async plateOf(c: ViolationCandidate): Promise<KnownPlate | undefined> {
    if (!this.plates || !PARKING_TYPES.includes(c.type) || c.subjectTrackIds.length !== 1) return undefined;
    const [trackId] = c.subjectTrackIds;
    await this.plates.settle(trackId);
    return this.plates.plate(trackId);
  }

  /**
   * Plates in the photo that are not the offender's. In a frame much larger than the plate
   * detector's input, plates shrink out of sight, so each vehicle is then also searched on its own.
   * The offender's plate is the one read (or, unread, the best found on it) and stays sharp: it is
   * the evidence.
   */
  private async othersPlates(frame: RgbFrame, c: ViolationCandidate, tracks: Track[], plate: KnownPlate | undefined): Promise<PixelBox[]> {
    const reader = this.opts.plateReader;
    if (!reader || !this.config.privacy.blurPlates) return [];
    const searchVehicles = Math.max(frame.width, frame.height) * MIN_SEARCH_SCALE > reader.inputSize;
    const others = searchVehicles ? tracks.filter((t) => t.classGroup === VEHICLE_GROUP && !c.subjectTrackIds.includes(t.id)) : [];
    const found = (await Promise.all([reader.locate(frame), ...others.map((t) => reader.locate(frame, t.box))])).flat();
    let own = plate?.box;
    if (!own && PARKING_TYPES.includes(c.type) && c.box) {
      const subject = c.box;
      own = bestScoring(searchVehicles ? await reader.locate(frame, subject) : found.filter((p) => centerInside(p.box, subject)))?.box;
    }
    return found.filter((p) => !own || iou(p.box, own) < OWN_PLATE_IOU).map((p) => p.box);
  }
}

/** A whole-frame plate search scaled below this misses small plates; vehicles are then searched one by one. */
const MIN_SEARCH_SCALE = 0.75;
const OWN_PLATE_IOU = 0.3;

function centerInside(b: PixelBox, outer: PixelBox): boolean {
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  return cx >= outer.x1 && cx <= outer.x2 && cy >= outer.y1 && cy <= outer.y2;
}

function bestScoring<T extends { score: number }>(items: T[]): T | undefined {
  return items.reduce<T | undefined>((best, p) => (!best || p.score > best.score ? p : best), undefined);
}

const DEFAULT_TIMING = { updateSeconds: 30, evidenceRepeatSeconds: 60 };

const PERSON_LABELS = new Set(['person']);

const peopleIn = (objects: ObjectBox[]) => objects.filter((o) => PERSON_LABELS.has(o.label)).map((o) => o.box);

/** Everyone in the picture who is not a subject of the detection (for parking: everyone). */
function bystanders(people: PixelBox[], tracks: Track[], subjectIds: string[]): PixelBox[] {
  const subjects = tracks.filter((t) => PERSON_LABELS.has(t.label) && subjectIds.includes(t.id)).map((t) => t.box);
  const others = tracks.filter((t) => PERSON_LABELS.has(t.label) && !subjectIds.includes(t.id)).map((t) => t.box);
  return [...people.filter((p) => !subjects.some((s) => iou(s, p) > 0.5)), ...others];
}


/**
 * The second stage of a camera: reads the plates of vehicles standing still in a no_parking zone
 * (never every vehicle of every frame), several times while they dwell, and keeps the voted plate
 * with a close-up. Reads run beside the frame loop; a detection that needs its plate waits for the
 * read in flight (`settle`).
 */
import type { Logger } from '../common/logger.js';
import { toIso, type PlateRead } from '../contract/index.js';
import type { PlateReader } from '../detector/plate/types.js';
import type { PixelBox, RgbFrame } from '../detector/types.js';
import type { PlatesConfig } from './config.js';
import { renderPlateCloseUp } from './adapters/evidence.js';
import { PlateVotes, type PlateAttempt } from './logic/plate-votes.js';
import type { Track } from './logic/violation.js';

export interface KnownPlate {
  read: PlateRead;
  /** JPEG of the plate, cut from the frame of the best agreeing read. */
  closeUp: Buffer;
  /** Where the plate was in that frame. */
  box: PixelBox;
}

interface ReadDetail {
  type?: string;
  box: PixelBox;
  closeUp: Buffer;
}

/** Vehicle boxes are grown by this share before the plate search: the detector's box may clip a bumper. */
const REGION_MARGIN = 0.05;

export class PlateStage {
  private readonly votes: PlateVotes<ReadDetail>;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly reader: PlateReader,
    private readonly config: PlatesConfig,
    private readonly logger?: Logger,
  ) {
    this.votes = new PlateVotes({
      minConfidence: config.minConfidence,
      intervalMs: config.readIntervalSeconds * 1000,
      maxReads: config.maxReads,
      agreeingReads: config.agreeingReads,
    });
  }

  /**
   * After each frame: forgets vehicles that are no longer tracked and starts reads for those standing
   * in a no_parking zone whose next read is due. Returns when the reads of this frame are done (the
   * frame must stay unchanged until then), or undefined when none started.
   */
  observe(frame: RgbFrame, tsMs: number, standing: readonly Track[], tracked: ReadonlySet<string>): Promise<void> | undefined {
    this.votes.retain(tracked);
    const started: Promise<void>[] = [];
    for (const t of standing) {
      if (!this.votes.due(t.id, tsMs)) continue;
      this.votes.begin(t.id, tsMs);
      const read = this.readOnce(frame, t, tsMs).finally(() => this.inFlight.delete(t.id));
      this.inFlight.set(t.id, read);
      started.push(read);
    }
    return started.length > 0 ? Promise.all(started).then(() => undefined) : undefined;
  }

  /** Waits for the read of this vehicle in flight, if any. */
  async settle(trackId: string): Promise<void> {
    await this.inFlight.get(trackId);
  }

  /** Waits for every read in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight.values());
  }

  /** The voted plate of the vehicle; undefined while unread (or never read confidently enough). */
  plate(trackId: string): KnownPlate | undefined {
    const d = this.votes.decision(trackId);
    if (!d) return undefined;
    const read: PlateRead = { text: d.text, confidence: Math.round(d.confidence * 1000) / 1000, readAt: toIso(d.readAtMs) };
    if (d.detail.type) read.type = d.detail.type;
    return { read, closeUp: d.detail.closeUp, box: d.detail.box };
  }

  private async readOnce(frame: RgbFrame, t: Track, tsMs: number): Promise<void> {
    try {
      const [best] = await this.reader.read(frame, grow(t.box, frame));
      let attempt: PlateAttempt<ReadDetail> | null = null;
      if (best) {
        // Only a read that can count gets its close-up encoded.
        const counts = best.valid && best.confidence >= this.config.minConfidence;
        const closeUp = counts ? await renderPlateCloseUp(frame, best.box) : Buffer.alloc(0);
        attempt = { text: best.text, confidence: best.confidence, valid: best.valid, detail: { type: best.type, box: best.box, closeUp } };
      }
      this.votes.record(t.id, tsMs, attempt);
    } catch (err) {
      this.votes.fail(t.id);
      this.logger?.warn({ err: (err as Error).message, trackId: t.id }, 'plate read failed');
    }
  }
}

function grow(b: PixelBox, f: RgbFrame): PixelBox {
  const mx = (b.x2 - b.x1) * REGION_MARGIN;
  const my = (b.y2 - b.y1) * REGION_MARGIN;
  return { x1: Math.max(0, b.x1 - mx), y1: Math.max(0, b.y1 - my), x2: Math.min(f.width, b.x2 + mx), y2: Math.min(f.height, b.y2 + my) };
}

/**
 * Second-stage models on zone crops (`zones[].detector`): each frame the camera pipeline asks
 * which zones are due (every `everySeconds` of frame time, in active hours), runs their models on
 * the zones' crops and adds what they find, labelled through the model's `classes`, to the main
 * detector's objects: to the tracker and rules they are objects like any other. An object counts
 * only inside its own zone: the crop shows more than the zone.
 */
import { StreetWatchError } from '../common/errors.js';
import type { RgbFrame } from '../detector/types.js';
import type { ZoneConfig } from './config.js';
import { isDue } from './logic/every-schedule.js';
import type { TrackerInput } from './logic/tracker.js';
import type { ZoneModelStats } from './logic/zone-model-telemetry.js';
import { zoneCrop } from './logic/zone-crop.js';
import { boxInZone, isScheduleActive } from './logic/zones.js';
import type { ZoneModel } from './zone-models.js';

/** Found by a zone model: `model` is its id, `everyMs` how often it looks (the tracker waits that long for a new track's next sighting). */
export type ZoneObject = TrackerInput & { model: string; everyMs: number };

export class ZoneModelStage {
  private readonly lastRunMs = new Map<string, number>();

  /** `stats`: per model id, filled in as the models run. */
  constructor(
    private readonly models: ReadonlyMap<string, ZoneModel>,
    private zones: readonly ZoneConfig[],
    private readonly stats: Record<string, ZoneModelStats>,
  ) {}

  /** A remotely changed zone list applies from the next frame; a zone keeps its schedule. */
  setZones(zones: readonly ZoneConfig[]): void {
    this.zones = zones;
    for (const id of this.lastRunMs.keys()) if (!zones.some((z) => z.id === id && z.detector)) this.lastRunMs.delete(id);
  }

  /**
   * The zones due at frame time `tsMs` (call in frame order: they count as run from now), as the
   * run to start once the frame's pixels may be read; undefined when none is due.
   */
  due(tsMs: number, timeZone: string): ((frame: RgbFrame) => Promise<ZoneObject[]>) | undefined {
    const due = this.zones.filter(
      (z) => z.detector && isScheduleActive(z.schedule, tsMs, timeZone) && isDue(this.lastRunMs.get(z.id), tsMs, z.detector.everySeconds * 1000),
    );
    if (due.length === 0) return undefined;
    for (const z of due) this.lastRunMs.set(z.id, tsMs);
    return async (frame) => {
      // One after the other: a detector may move the frame's pixels to its thread while it runs.
      const found: ZoneObject[] = [];
      for (const z of due) found.push(...(await this.run(z, frame)));
      return found;
    };
  }

  private async run(zone: ZoneConfig, frame: RgbFrame): Promise<ZoneObject[]> {
    const { model: id, everySeconds } = zone.detector!;
    const model = this.models.get(id);
    if (!model) throw new StreetWatchError('ZONE_MODEL_MISSING', `zone ${zone.id}: model ${id} is not loaded`);
    const t0 = performance.now();
    const objects = await model.detector.detect(frame, zoneCrop(zone.polygon, frame, model.inputSize));
    const found: ZoneObject[] = [];
    for (const o of objects) {
      const label = model.labels.get(o.classId);
      if (label !== undefined && boxInZone(o.box, zone.polygon, frame)) found.push({ ...o, label, model: id, everyMs: everySeconds * 1000 });
    }
    const s = (this.stats[id] ??= { inferences: 0, inferenceMsTotal: 0, objects: 0 });
    s.inferences++;
    s.inferenceMsTotal += performance.now() - t0;
    s.objects += found.length;
    return found;
  }
}

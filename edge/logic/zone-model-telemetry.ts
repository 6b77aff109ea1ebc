/**
 * A camera's second-stage models in its telemetry: the stage keeps running totals per model, the
 * telemetry reports each window (since the previous message) as their differences.
 */
import type { ZoneModelTelemetry } from '../../contract/index.js';

/** Running totals of one zone model since the camera started. */
export interface ZoneModelStats {
  inferences: number;
  inferenceMsTotal: number;
  /** Objects passed on (mapped class, inside the zone). */
  objects: number;
}

export type ZoneModelTotals = Readonly<Record<string, Readonly<ZoneModelStats>>>;

/** Every model that has run, with its runs, mean ms and objects between `before` and `now`. */
export function zoneModelWindow(now: ZoneModelTotals, before: ZoneModelTotals): ZoneModelTelemetry[] {
  return Object.entries(now).map(([modelId, s]) => {
    const b = before[modelId] ?? { inferences: 0, inferenceMsTotal: 0, objects: 0 };
    const runs = s.inferences - b.inferences;
    const ms = s.inferenceMsTotal - b.inferenceMsTotal;
    return { modelId, runs, inferenceMs: runs ? Math.round((ms / runs) * 10) / 10 : 0, detections: s.objects - b.objects };
  });
}

/** A copy of the totals, kept as the next window's start (the stage goes on adding to its own). */
export function snapshotZoneModels(totals: ZoneModelTotals): Record<string, ZoneModelStats> {
  return Object.fromEntries(Object.entries(totals).map(([id, s]) => [id, { ...s }]));
}

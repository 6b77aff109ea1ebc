/**
 * The zones and settings the console may send a box (`config/desired`): the contract's shapes
 * (contract/zones.ts), which the box checks again and the centre checks in the box's report. Shape
 * only — the box validates the merged config against its full schema (crossing edges, class names)
 * and reports `rejected` with the reason, which the console shows.
 */
import { z } from 'zod';
import { cameraZones, privacySettings, telemetrySettings } from '../../contract/index.js';

export { DAYS, zoneSchema, type Zone } from '../../contract/index.js';

/** Box-wide settings the centre may change remotely besides zones (the box applies them live). */
export const settingsBody = z
  .object({
    // Strict here: a misspelt setting from the console is an error, not a no-op on the box.
    privacy: privacySettings.strict().optional(),
    telemetry: telemetrySettings.strict().optional(),
  })
  .strict()
  .refine((b) => b.privacy !== undefined || b.telemetry !== undefined, 'give privacy and/or telemetry');

export type Settings = z.output<typeof settingsBody>;

export const zonesBody = cameraZones.pick({ zones: true }).superRefine((b, ctx) => {
  const seen = new Set<string>();
  b.zones.forEach((zone, i) => {
    if (seen.has(zone.id)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'id'], message: `zone id ${zone.id} is used twice` });
    seen.add(zone.id);
  });
});

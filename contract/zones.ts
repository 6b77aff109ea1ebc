/**
 * What the centre may change on a running box, as it travels in `config/desired` and comes back
 * in `config/reported`: each camera's zones, privacy and telemetry. The API validates the console's
 * edits with these, the box its desired config and the centre the box's report; the box's config
 * file builds its zones from the same fields (edge/config.ts adds defaults and the polygon's
 * geometry), so whatever a box runs it can report. Shape and bounds only: the box still checks the
 * merged config against its full schema (crossing edges, class names, sensor bays).
 */
import { z } from 'zod';
import { id, unit } from './fields.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const MAX_ZONES_PER_CAMERA = 32;
export const MAX_SCHEDULE_WINDOWS = 14;

const seconds = z.number().positive().max(86_400);
const classList = z.array(z.string().min(1).max(64)).min(1).max(80);
const factor = z.number().positive().max(100);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');

/** An active-hours window (the box's time zone); no days: every day. */
export const scheduleWindow = z.object({ days: z.array(z.enum(DAYS)).min(1).optional(), from: hhmm, to: hhmm }).strict();

/**
 * One zone. Strict: a misspelt setting is refused by name rather than dropped (the box's own
 * parse would drop it silently). Optional settings take the box's defaults.
 */
export const zoneSchema = z
  .object({
    id,
    kind: z.enum(['no_parking', 'no_vending']),
    polygon: z.array(z.tuple([unit, unit])).min(3, 'a polygon needs at least 3 points').max(64, 'at most 64 points'),
    dwellSeconds: seconds.optional(),
    // Thresholds and timing of the zone's rule (the editor keeps them; the API may set them).
    minConfidence: unit.optional(),
    evidenceRepeatSeconds: seconds.optional(),
    updateSeconds: seconds.optional(),
    leaveGraceSeconds: z.number().min(0).max(3_600).optional(),
    // Which classes the rule looks at: kept as the box reported them (it checks them against its model).
    vehicleClasses: classList.optional(),
    goodsClasses: classList.optional(),
    personClasses: classList.optional(),
    personNearFactor: factor.optional(),
    clusterGapFactor: factor.optional(),
    schedule: z.array(scheduleWindow).min(1).max(MAX_SCHEDULE_WINDOWS).optional(),
  })
  .strict()
  .meta({ id: 'Zone' });

/** A camera's whole zone list: it replaces the list the box runs (a zone left out is removed). */
export const cameraZones = z
  .object({ id, zones: z.array(zoneSchema).max(MAX_ZONES_PER_CAMERA, `at most ${MAX_ZONES_PER_CAMERA} zones per camera`) })
  .meta({ id: 'CameraZones' });

// Not strict: the box reads the keys it knows and ignores others (its config schema strips them).
export const privacySettings = z.object({ blurPeople: z.boolean().optional(), blurPlates: z.boolean().optional() }).meta({ id: 'PrivacySettings' });
export const telemetrySettings = z.object({ intervalSeconds: z.number().positive().max(3_600) }).meta({ id: 'TelemetrySettings' });

export type Zone = z.output<typeof zoneSchema>;
export type CameraZones = z.output<typeof cameraZones>;
export type PrivacySettings = z.output<typeof privacySettings>;
export type TelemetrySettings = z.output<typeof telemetrySettings>;

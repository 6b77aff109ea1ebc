/**
 * What the centre may change on a running box, as it travels in `config/desired` and comes back
 * in `config/reported`: each camera's zones, privacy and telemetry. The API validates the console's
 * edits with these, the box its desired config and the centre the box's report; the box's config
 * file builds its zones from the same fields (edge/config.ts adds defaults and the polygon's
 * geometry), so whatever a box runs it can report. Shape and bounds only: the box still checks the
 * merged config against its full schema (crossing edges, class names, sensor bays).
 */
import { z } from 'zod';
import { id, isoTime, unit } from './fields.js';

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
    // no_parking: a stop shorter than graceSeconds (loading, drop-off) is no violation; past
    // maxStaySeconds in a time-limited zone it is an `overstay`.
    graceSeconds: z.number().min(0).max(86_400).optional(),
    maxStaySeconds: seconds.optional(),
    // no_vending: also report goods left with nobody tending them (`obstruction`); the share of the
    // dwell a person must be near a new object for it to be a stall.
    obstructions: z.boolean().optional(),
    tendingShare: unit.optional(),
    // A second-stage model (one of the camera's `models`) run on the zone's crop this often.
    detector: z.object({ model: id, everySeconds: seconds }).strict().optional(),
    schedule: z.array(scheduleWindow).min(1).max(MAX_SCHEDULE_WINDOWS).optional(),
  })
  .strict()
  .meta({ id: 'Zone' });

/** A camera's whole zone list: it replaces the list the box runs (a zone left out is removed). */
export const cameraZones = z
  .object({ id, zones: z.array(zoneSchema).max(MAX_ZONES_PER_CAMERA, `at most ${MAX_ZONES_PER_CAMERA} zones per camera`) })
  .meta({ id: 'CameraZones' });

/**
 * A vehicle no parking rule applies to (police, ambulance, permit holder), kept by the centre and
 * sent to every box in its `config/desired`. `plate` is the normalised text the box reads.
 */
export const exemptPlate = z
  .object({
    plate: z.string().min(2).max(16),
    /** After this instant the plate is no longer exempt; none: until removed. */
    expiresAt: isoTime.optional(),
    reason: z.string().max(200).optional(),
  })
  .strict()
  .meta({ id: 'ExemptPlate' });
export const MAX_EXEMPT_PLATES = 10_000;
export const exemptPlates = z.array(exemptPlate).max(MAX_EXEMPT_PLATES, `at most ${MAX_EXEMPT_PLATES} exempt plates`);

// Not strict: the box reads the keys it knows and ignores others (its config schema strips them).
export const privacySettings = z.object({ blurPeople: z.boolean().optional(), blurPlates: z.boolean().optional() }).meta({ id: 'PrivacySettings' });
export const telemetrySettings = z.object({ intervalSeconds: z.number().positive().max(3_600) }).meta({ id: 'TelemetrySettings' });

export type Zone = z.output<typeof zoneSchema>;
export type CameraZones = z.output<typeof cameraZones>;
export type PrivacySettings = z.output<typeof privacySettings>;
export type TelemetrySettings = z.output<typeof telemetrySettings>;
export type ExemptPlate = z.output<typeof exemptPlate>;

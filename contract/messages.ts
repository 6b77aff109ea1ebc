/**
 * Payload schemas of every StreetWatch MQTT message. Types are derived from these schemas and the
 * AsyncAPI document is generated from them (contract/asyncapi.ts), so there is one source of truth.
 */
import { z } from 'zod';
import { id, isoTime, sha256, ulid, unit } from './fields.js';
import { cameraZones, exemptPlates, privacySettings, telemetrySettings } from './zones.js';

export const CONTRACT_VERSION = 1;

/** Box in normalised frame coordinates (0..1), top-left origin. */
export const normBox = z.object({ x1: unit, y1: unit, x2: unit, y2: unit }).meta({ id: 'NormBox' });

/**
 * `obstruction`: goods or materials left in a no_vending zone with nobody tending them; `overstay`:
 * a vehicle past a time-limited zone's `maxStaySeconds`.
 */
export const violationType = z.enum(['illegal_parking', 'street_vending', 'obstruction', 'overstay']);
export const detectionState = z.enum(['started', 'updated', 'ended']);
export const endReason = z.enum(['left', 'source_ended', 'camera_lost']);

export const evidenceRef = z
  .object({
    evidenceId: ulid,
    sha256,
    capturedAt: isoTime,
    contentType: z.literal('image/jpeg'),
    bytes: z.number().int().positive(),
    /**
     * `full`: the whole frame with the box drawn; `crop`: the offender up close; `plate`: its plate;
     * `report`: a photo a person sent with a report (the centre's; a box never sends one).
     */
    kind: z.enum(['full', 'crop', 'plate', 'report']),
  })
  .meta({ id: 'EvidenceRef' });

export const plateRead = z
  .object({ text: z.string().min(1), confidence: unit, readAt: isoTime, type: z.string().optional() })
  .meta({ id: 'PlateRead' });

export const sensorSupport = z.object({ sensorId: id, occupied: z.boolean(), since: isoTime });

export const detectionMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    eventId: ulid,
    /** Position of this message within its event: 0 for `started`, then 1, 2, …; ordering and de-dup key. */
    seq: z.number().int().min(0),
    deviceId: id,
    cameraId: id,
    zoneId: id,
    type: violationType,
    state: detectionState,
    /** Object class (car, truck, …), or `sensor` for a bay-sensor-only detection. */
    label: z.string().min(1),
    confidence: unit,
    /** Null only for sensor-only detections (no camera sees the bay). */
    bbox: normBox.nullable(),
    firstSeenAt: isoTime,
    /** When the rule fired: the discovery time the 40-minute target counts from. */
    discoveredAt: isoTime,
    sentAt: isoTime,
    endedAt: isoTime.optional(),
    reason: endReason.optional(),
    stayedSeconds: z.number().min(0).optional(),
    evidence: z.array(evidenceRef),
    sensors: z.array(sensorSupport).optional(),
    plate: plateRead.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.state === 'ended' && (m.endedAt === undefined || m.reason === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'an ended detection needs endedAt and reason' });
    }
    if (m.state !== 'ended' && (m.endedAt !== undefined || m.reason !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'only an ended detection has endedAt and reason' });
    }
    if (m.state === 'started' && m.seq !== 0) ctx.addIssue({ code: 'custom', path: ['seq'], message: 'started has seq 0' });
  })
  .meta({ id: 'Detection', description: 'A violation lifecycle message (QoS 1).' });

export const cameraState = z.enum(['connecting', 'connected', 'stalled', 'reconnecting', 'ended', 'error', 'disabled']);
export const cameraAlert = z.enum(['camera_moved']);

export const statusMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    deviceId: id,
    state: z.enum(['online', 'offline']),
    at: isoTime,
    version: z.string().optional(),
    /** Offline reasons: `shutdown` (clean stop) or `last_will` (connection lost). */
    reason: z.enum(['shutdown', 'last_will']).optional(),
    cameras: z
      .array(
        z.object({
          cameraId: id,
          state: cameraState,
          message: z.string().optional(),
          /**
           * What is wrong with the picture although the stream runs. `camera_moved`: the whole view
           * changed (bumped or turned); the camera's rules are paused until the scene is learnt again.
           */
          alerts: z.array(z.object({ kind: cameraAlert, since: isoTime })).optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Status', description: 'Retained; the Last Will publishes `offline`.' });

/** One second-stage model of a camera, since the previous telemetry. */
export const zoneModelTelemetry = z
  .object({
    modelId: id,
    /** Times it ran on a zone's crop. */
    runs: z.number().int().min(0),
    /** Mean time of a run, queue included; 0 without runs. */
    inferenceMs: z.number().min(0),
    /** Objects it found that it passed on (a class it maps, inside the zone). */
    detections: z.number().int().min(0),
  })
  .meta({ id: 'ZoneModelTelemetry' });

export const telemetryMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    deviceId: id,
    at: isoTime,
    cameras: z.array(
      z.object({
        cameraId: id,
        state: cameraState,
        fps: z.number().min(0),
        inferenceMs: z.number().min(0),
        /** ffmpeg's CPU for this camera over the window, in % of one core (boxes with Linux's /proc). */
        decodeCpuPercent: z.number().min(0).optional(),
        /** Frames skipped by the motion gate (no motion: no inference needed). */
        skippedFrames: z.number().int().min(0),
        droppedFrames: z.number().int().min(0),
        lastFrameAt: isoTime.nullable(),
        openDetections: z.number().int().min(0),
        /**
         * Second-stage models (`zones[].detector`) since the previous telemetry, one entry per model that has run
         * since the box started. Absent from boxes without them, and from older boxes.
         */
        zoneModels: z.array(zoneModelTelemetry).optional(),
      }),
    ),
    system: z.object({
      cpuPercent: z.number().min(0),
      rssMb: z.number().min(0),
      memFreeMb: z.number().min(0),
      diskFreeMb: z.number().min(0),
      loadAvg1: z.number().min(0),
      uptimeSeconds: z.number().min(0),
    }),
    spool: z.object({ messages: z.number().int().min(0), bytes: z.number().int().min(0), dropped: z.number().int().min(0) }),
  })
  .meta({ id: 'Telemetry', description: 'Every telemetry.intervalSeconds (default 30 s).' });

export const sensorMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    deviceId: id,
    sensorId: id,
    zoneId: id.optional(),
    cameraId: id.optional(),
    occupied: z.boolean(),
    at: isoTime,
    since: isoTime,
  })
  .meta({ id: 'SensorReading', description: 'A street sensor (e.g. a geomagnetic bay sensor) republished by the box.' });

/** What a sensor sends to the box (local MQTT topic or HTTP POST /sensors/<id>). */
export const localSensorReading = z.object({ occupied: z.boolean(), at: isoTime.optional() });

export const configDesiredMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    /** Monotonic version chosen by the centre; the box reports it back once applied. */
    version: z.number().int().min(1),
    issuedAt: isoTime,
    /**
     * A partial edge config: what the centre may change live. Other keys, here or in a camera, pass
     * the schema so that the box refuses them by name ("mqtt: cannot be changed remotely").
     */
    config: z.looseObject({
      cameras: z.array(cameraZones.loose()).optional(),
      privacy: privacySettings.optional(),
      telemetry: telemetrySettings.optional(),
      /** Replaces the box's whole list of exempt plates. */
      exemptPlates: exemptPlates.optional(),
    }),
  })
  .meta({ id: 'ConfigDesired', description: 'Retained; what the centre wants the box to run.' });

export const configReportedMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    deviceId: id,
    version: z.number().int().min(0),
    status: z.enum(['applied', 'rejected']),
    at: isoTime,
    error: z.string().optional(),
    /**
     * What the box runs now of the parts the centre may change (from its file, or applied
     * remotely): the console's zone editor starts from these zones.
     */
    running: z
      .object({
        cameras: z.array(cameraZones),
        privacy: privacySettings.optional(),
        telemetry: telemetrySettings.optional(),
      })
      .optional(),
  })
  .meta({ id: 'ConfigReported', description: 'Retained. Also sent at start-up (the running zones, version 0 until a desired config is applied).' });

/** A detector model: manifest name (input/output layout, classes), release label and exact file. */
export const modelRef = z
  .object({
    /** Manifest name (models/manifests/<name>.json) describing the model's input, output and classes. */
    name: z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'must be a model manifest name (a-z 0-9 _ . -)'),
    /** Free-form release label chosen by whoever trained or exported it, e.g. `2026.11-kerb`. */
    version: z.string().min(1).max(64),
    sha256,
  })
  .meta({ id: 'ModelRef' });

export const modelDesiredMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    /** Monotonic per device, chosen by the centre; the box answers each version once. */
    version: z.number().int().min(1),
    issuedAt: isoTime,
    model: modelRef.extend({
      /** Where the box downloads the file (HTTP GET); the centre's own links are signed and expire. */
      url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
      size: z.number().int().positive(),
    }),
  })
  .meta({ id: 'ModelDesired', description: 'Retained; the detector model the centre wants the box to run.' });

export const modelUpdateStatus = z.enum(['downloading', 'applied', 'rejected', 'rolled_back']);

export const modelReportedMessage = z
  .object({
    v: z.literal(CONTRACT_VERSION),
    deviceId: id,
    /** The desired version this answers; 0 before the box was ever sent one. */
    version: z.number().int().min(0),
    /**
     * `downloading`: fetching the file; `applied`: switched to it; `rejected`: not switched (download,
     * checksum, load or self-test failed); `rolled_back`: switched, then failed and the box went back.
     */
    status: modelUpdateStatus,
    /** The model the box runs now (after a rejection or rollback: the previous one). */
    model: modelRef,
    at: isoTime,
    error: z.string().optional(),
  })
  .meta({ id: 'ModelReported', description: 'Retained. The model the box runs and how its last update went.' });

export type DetectionMessage = z.output<typeof detectionMessage>;
export type EvidenceRef = z.output<typeof evidenceRef>;
export type NormBox = z.output<typeof normBox>;
export type ViolationType = z.output<typeof violationType>;
export type DetectionState = z.output<typeof detectionState>;
export type EndReason = z.output<typeof endReason>;
export type StatusMessage = z.output<typeof statusMessage>;
export type TelemetryMessage = z.output<typeof telemetryMessage>;
export type ZoneModelTelemetry = z.output<typeof zoneModelTelemetry>;
export type SensorMessage = z.output<typeof sensorMessage>;
export type LocalSensorReading = z.output<typeof localSensorReading>;
export type ConfigDesiredMessage = z.output<typeof configDesiredMessage>;
export type ConfigReportedMessage = z.output<typeof configReportedMessage>;
export type ModelRef = z.output<typeof modelRef>;
export type ModelDesiredMessage = z.output<typeof modelDesiredMessage>;
export type ModelReportedMessage = z.output<typeof modelReportedMessage>;
export type ModelUpdateStatus = z.output<typeof modelUpdateStatus>;
export type CameraState = z.output<typeof cameraState>;
export type CameraAlert = z.output<typeof cameraAlert>;
export type PlateRead = z.output<typeof plateRead>;

/** Evidence photos travel as raw JPEG bytes on their own topic; this bounds them. */
export const MAX_EVIDENCE_BYTES = 4 * 1024 * 1024;
export const EVIDENCE_CONTENT_TYPE = 'image/jpeg';

export const toIso = (ms: number): string => new Date(ms).toISOString();

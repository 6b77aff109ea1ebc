import { z } from 'zod';
import { isValidTimeZone } from './logic/zones.js';
import { loadConfigFile, resolveFromConfig, ConfigError } from '../common/config-file.js';
import { ID_PATTERN } from '../contract/topics.js';
import { DAYS, MAX_SCHEDULE_WINDOWS, MAX_ZONES_PER_CAMERA, scheduleWindow, telemetrySettings, zoneSchema as wireZone } from '../contract/zones.js';

/** Ids become MQTT topic levels and message fields, so they follow the contract's id pattern. */
const idOf = (what: string) => z.string().regex(ID_PATTERN, `${what} id may use letters, digits, _ . - only (1-64 characters)`);

/** Camera id under which bays that no camera covers publish their detections. */
export const SENSOR_ONLY_CAMERA = 'bays';

/**
 * A zone's fields as the contract bounds them (contract/zones.ts), here with the box's defaults:
 * the box reports the zones it runs in `config/reported`, so it must not run one the contract refuses.
 */
const wire = wireZone.shape;

/** Simple polygon: 3 to 64 points, no self-intersection, non-zero area. */
export const polygonSchema = wire.polygon
  .superRefine((pts, ctx) => {
    const problem = polygonProblem(pts);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function polygonProblem(pts: [number, number][]): string | undefined {
  // Crossing first: a symmetric bow-tie has a signed area of zero, but "edges cross" is the real problem.
  const n = pts.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // adjacent edges share a point
      if (segmentsCross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n])) {
        return `polygon edges ${i} and ${j} cross each other`;
      }
    }
  }
  let area2 = 0;
  for (let i = 0; i < n; i++) {
    const [x1, y1] = pts[i];
    const [x2, y2] = pts[(i + 1) % n];
    area2 += x1 * y2 - x2 * y1;
  }
  if (Math.abs(area2) < 1e-9) return 'polygon has zero area';
  return undefined;
}

function segmentsCross(a: number[], b: number[], c: number[], d: number[]): boolean {
  const o = (p: number[], q: number[], r: number[]) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
}

/** A model by manifest name (found in the path, the cache or ../shared) or by file path. */
const modelSpecSchema = z.union([
  z.object({ name: z.string().min(1), path: z.undefined().optional() }),
  z.object({ path: z.string().min(1), name: z.string().optional() }),
]);

/** Checked against the loaded model's class names by `checkClassNames`. */
const className = z.string().min(1);

/** Active hours: the rule applies only inside one of these windows (device time zone). */
export const scheduleSchema = z
  .array(
    z.object({
      days: scheduleWindow.shape.days.default([...DAYS]),
      from: scheduleWindow.shape.from,
      to: scheduleWindow.shape.to,
    }),
  )
  .min(1)
  .max(MAX_SCHEDULE_WINDOWS);

export const DEFAULT_VEHICLE_CLASSES = ['car', 'truck', 'bus', 'motorcycle'];
export const DEFAULT_GOODS_CLASSES = ['umbrella', 'dining table', 'chair', 'bench', 'suitcase', 'bicycle', 'motorcycle'];

const zoneBase = {
  id: idOf('zone'),
  polygon: polygonSchema,
  dwellSeconds: wire.dwellSeconds.default(300),
  /** A second photo after this long if the violation is still there. */
  evidenceRepeatSeconds: wire.evidenceRepeatSeconds.default(60),
  /** `updated` messages at most this often while a violation lasts. */
  updateSeconds: wire.updateSeconds.default(30),
  /** A violation ends (`left`) only after its object has been gone this long; rides out occlusions. */
  leaveGraceSeconds: wire.leaveGraceSeconds.default(5),
  schedule: scheduleSchema.optional(),
  minConfidence: wire.minConfidence.default(0.35),
};

export const noParkingZoneSchema = z.object({
  ...zoneBase,
  kind: z.literal('no_parking'),
  vehicleClasses: wire.vehicleClasses.default(DEFAULT_VEHICLE_CLASSES),
});

export const noVendingZoneSchema = z.object({
  ...zoneBase,
  kind: z.literal('no_vending'),
  goodsClasses: wire.goodsClasses.default(DEFAULT_GOODS_CLASSES),
  personClasses: wire.personClasses.default(['person']),
  /** How far (in goods-box heights) a person may stand from the goods and still tend them. */
  personNearFactor: wire.personNearFactor.default(1.5),
  /** Goods boxes closer than this (in box heights) belong to one stall. */
  clusterGapFactor: wire.clusterGapFactor.default(1.0),
});

export const zoneSchema = z.discriminatedUnion('kind', [noParkingZoneSchema, noVendingZoneSchema]);

export const cameraSchema = z.object({
  id: idOf('camera'),
  /** File path (relative to the config file) or rtsp:// / http(s):// URL. */
  source: z.string().min(1, 'source is required'),
  fps: z.number().positive().max(60).default(2),
  /** File sources only: start again at the end, like a camera that never stops. */
  loop: z.boolean().default(false),
  enabled: z.boolean().default(true),
  /** No frame for this long → the stream is reported `stalled` and restarted. */
  watchdogSeconds: z.number().positive().default(10),
  /**
   * ffmpeg threads for decoding and scaling; 0 lets ffmpeg use one per core. One keeps decoding
   * from contending with inference on a small box; raise it for streams one core cannot decode
   * in real time (4K, H.265).
   */
  decodeThreads: z.number().int().min(0).max(16).default(1),
  reconnect: z
    .object({ initialMs: z.number().int().positive().default(1000), maxMs: z.number().int().positive().default(30000) })
    .prefault({}),
  zones: z.array(zoneSchema).max(MAX_ZONES_PER_CAMERA, `at most ${MAX_ZONES_PER_CAMERA} zones per camera`).default([]),
  /** Where the camera is; the centre uses it for the work order. */
  location: z.object({ lat: z.number(), long: z.number(), address: z.string().optional() }).optional(),
});

export const sensorBaySchema = z.object({
  id: idOf('sensor'),
  /** The no_parking zone the bay lies in. */
  zoneId: idOf('zone'),
  /** The camera whose zone it is; omit for a bay no camera covers (sensor-only detections). */
  cameraId: z.string().optional(),
  /** Sensor-only bays: how long occupied before it is a violation. */
  dwellSeconds: z.number().positive().default(300),
});

export const edgeConfigSchema = z
  .object({
    device: z
      .object({
        id: idOf('device'),
        timezone: z.string().refine(isValidTimeZone, 'unknown time zone (use an IANA name such as Asia/Shanghai)').default('UTC'),
      }),
    mqtt: z
      .object({
        url: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, tcp://, ws:// or wss:// URL'),
        username: z.string().optional(),
        password: z.string().optional(),
        rootTopic: z.string().default('streetwatch/v1'),
        keepaliveSeconds: z.number().int().positive().default(30),
        caFile: z.string().optional(),
      }),
    /** The centre's HTTP API; `edge doctor` compares the box's clock with its `/healthz` time. */
    center: z.object({ url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }) }).optional(),
    model: modelSpecSchema.default({ name: 'yolox_nano' }),
    detector: z
      .object({
        /**
         * Inference worker threads, each with its own model session; frames of a camera are inferred
         * in parallel and applied in order. 0 runs the model on the main thread.
         */
        workers: z.number().int().min(0).max(8).default(2),
        /** onnxruntime intra-op threads per session. */
        threads: z.number().int().min(1).max(16).default(1),
        scoreThreshold: z.number().min(0).max(1).default(0.3),
        classThresholds: z.record(className, z.number().min(0).max(1)).default({}),
        nmsIou: z.number().min(0).max(1).default(0.45),
        /** Labels NMS treats as one object: the detector often scores one van as both car and truck. */
        mergeClasses: z.array(z.array(className).min(2)).default([['car', 'truck', 'bus']]),
      })
      .prefault({}),
    tracking: z
      .object({
        /** A track that is not seen for this long is dropped (a stationary object keeps its id). */
        maxGapSeconds: z.number().positive().default(10),
        iouThreshold: z.number().min(0).max(1).default(0.3),
        /** Box centre movement, as a fraction of box size, below which an object counts as still. */
        stationaryTolerance: z.number().positive().default(0.15),
        /** How long an object must have been still to be called stationary. */
        stationarySeconds: z.number().positive().default(5),
      })
      .prefault({}),
    motion: z
      .object({
        /** Skip inference on frames with no motion and re-check stationary objects every `recheckSeconds`. */
        enabled: z.boolean().default(true),
        recheckSeconds: z.number().positive().default(1),
        /** Fraction of grid cells that must change for a frame to count as moving. */
        threshold: z.number().min(0).max(1).default(0.002),
      })
      .prefault({}),
    plates: z
      .object({
        /** Read the plate of every vehicle that stands still in a no_parking zone. */
        enabled: z.boolean().default(true),
        /** Plate detector: y5fu_640x_sim (default) or y5fu_320x_sim, by name or path. */
        model: modelSpecSchema.default({ name: 'y5fu_640x_sim' }),
        /** onnxruntime intra-op threads of the plate sessions. */
        threads: z.number().int().min(1).max(16).default(1),
        /** Valid plate texts (after normalisation); default: Chinese plates (see detector/plate/plate-text.ts). */
        format: z
          .string()
          .refine((s) => { try { new RegExp(s, 'u'); return true; } catch { return false; } }, 'format must be a valid regular expression')
          .optional(),
        /** A plate read below this is reported as unread, never guessed. */
        minConfidence: z.number().min(0).max(1).default(0.8),
        /** While a vehicle dwells its plate is read at most this often… */
        readIntervalSeconds: z.number().positive().default(2),
        /** …at most this many times… */
        maxReads: z.number().int().min(1).default(8),
        /** …and no more once this many reads agree. */
        agreeingReads: z.number().int().min(1).default(3),
      })
      .prefault({}),
    privacy: z
      .object({
        blurPeople: z.boolean().default(true),
        /** Blur every plate in the photos but the offender's (runs the plate detector on each photo). */
        blurPlates: z.boolean().default(true),
      })
      .prefault({}),
    spool: z
      .object({ dir: z.string().default('./spool'), maxMegabytes: z.number().positive().default(256) })
      .prefault({}),
    telemetry: z.object({ intervalSeconds: telemetrySettings.shape.intervalSeconds.default(30) }).prefault({}),
    sensors: z
      .object({
        /** Local MQTT topic filter the sensors publish to, e.g. `sensors/+`. */
        mqttTopic: z.string().optional(),
        /** Local MQTT broker the sensors use; defaults to the agent's own broker connection. */
        mqttUrl: z.string().optional(),
        /** Small HTTP endpoint on the box: POST /sensors/<id> {"occupied": true}. */
        httpPort: z.number().int().min(1).max(65535).optional(),
        bays: z.array(sensorBaySchema).default([]),
      })
      .prefault({}),
    cameras: z.array(cameraSchema).min(1, 'at least one camera is required'),
  })
  .superRefine((cfg, ctx) => {
    const camIds = new Set<string>();
    cfg.cameras.forEach((cam, ci) => {
      if (camIds.has(cam.id)) ctx.addIssue({ code: 'custom', path: ['cameras', ci, 'id'], message: `duplicate camera id ${cam.id}` });
      if (cam.id === SENSOR_ONLY_CAMERA) {
        ctx.addIssue({ code: 'custom', path: ['cameras', ci, 'id'], message: `"${SENSOR_ONLY_CAMERA}" is reserved for sensor-only detections` });
      }
      camIds.add(cam.id);
      const zoneIds = new Set<string>();
      cam.zones.forEach((zone, zi) => {
        if (zoneIds.has(zone.id)) {
          ctx.addIssue({ code: 'custom', path: ['cameras', ci, 'zones', zi, 'id'], message: `duplicate zone id ${zone.id}` });
        }
        zoneIds.add(zone.id);
      });
    });
    cfg.sensors.bays.forEach((bay, bi) => {
      if (bay.cameraId === undefined) return;
      const cam = cfg.cameras.find((c) => c.id === bay.cameraId);
      if (!cam) ctx.addIssue({ code: 'custom', path: ['sensors', 'bays', bi, 'cameraId'], message: `no camera ${bay.cameraId}` });
      else if (!cam.zones.some((z) => z.id === bay.zoneId && z.kind === 'no_parking')) {
        ctx.addIssue({ code: 'custom', path: ['sensors', 'bays', bi, 'zoneId'], message: `camera ${cam.id} has no no_parking zone ${bay.zoneId}` });
      }
    });
  });

export type EdgeConfig = z.output<typeof edgeConfigSchema>;
export type CameraConfig = EdgeConfig['cameras'][number];
export type ZoneConfig = z.output<typeof zoneSchema>;
export type NoParkingZone = z.output<typeof noParkingZoneSchema>;
export type NoVendingZone = z.output<typeof noVendingZoneSchema>;
export type TrackingConfig = EdgeConfig['tracking'];
export type SensorBay = EdgeConfig['sensors']['bays'][number];
export type PlatesConfig = EdgeConfig['plates'];

/** Loads, validates and resolves the paths of an edge config (a missing video file fails when its camera starts). */
export function loadEdgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const cfg = loadConfigFile(edgeConfigSchema, file, env);
  return resolveEdgePaths(cfg, file);
}

export function resolveEdgePaths(cfg: EdgeConfig, file: string): EdgeConfig {
  return {
    ...cfg,
    model: cfg.model.path ? { ...cfg.model, path: resolveFromConfig(file, cfg.model.path) } : cfg.model,
    plates: cfg.plates.model.path ? { ...cfg.plates, model: { ...cfg.plates.model, path: resolveFromConfig(file, cfg.plates.model.path) } } : cfg.plates,
    spool: { ...cfg.spool, dir: resolveFromConfig(file, cfg.spool.dir) },
    mqtt: cfg.mqtt.caFile ? { ...cfg.mqtt, caFile: resolveFromConfig(file, cfg.mqtt.caFile) } : cfg.mqtt,
    cameras: cfg.cameras.map((c) => ({ ...c, source: resolveFromConfig(file, c.source) })),
  };
}

/** Every class a config names must be one the model can output; custom models bring their own names. */
export function checkClassNames(cfg: EdgeConfig, modelClasses: readonly string[]): void {
  const known = new Set(modelClasses);
  const problems: string[] = [];
  const check = (path: string, names: readonly string[]) =>
    names.forEach((n, i) => {
      if (!known.has(n)) problems.push(`  ${path}[${i}]: unknown class "${n}" (the model knows: ${[...known].slice(0, 12).join(', ')}, ...)`);
    });
  cfg.detector.mergeClasses.forEach((g, gi) => check(`detector.mergeClasses[${gi}]`, g));
  Object.keys(cfg.detector.classThresholds).forEach((n) => {
    if (!known.has(n)) problems.push(`  detector.classThresholds.${n}: unknown class "${n}"`);
  });
  cfg.cameras.forEach((cam, ci) =>
    cam.zones.forEach((zone, zi) => {
      const base = `cameras[${ci}].zones[${zi}]`;
      if (zone.kind === 'no_parking') check(`${base}.vehicleClasses`, zone.vehicleClasses);
      else {
        check(`${base}.goodsClasses`, zone.goodsClasses);
        check(`${base}.personClasses`, zone.personClasses);
      }
    }),
  );
  if (problems.length) throw new ConfigError(`invalid config:\n${problems.join('\n')}`);
}

export { ConfigError };

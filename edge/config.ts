import { z } from 'zod';
import { DETECTION_FORMATS } from '../detector/decoders/index.js';
import { isValidTimeZone } from './logic/zones.js';
import { loadConfigFile, resolveFromConfig, ConfigError } from '../common/config-file.js';
import { ID_PATTERN } from '../contract/topics.js';
import { DAYS, exemptPlates, MAX_SCHEDULE_WINDOWS, MAX_ZONES_PER_CAMERA, scheduleWindow, telemetrySettings, zoneSchema as wireZone } from '../contract/zones.js';

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
  z.strictObject({ name: z.string().min(1), path: z.undefined().optional() }),
  z.strictObject({ path: z.string().min(1), name: z.string().optional() }),
]);

/** Checked against the loaded model's class names by `checkClassNames`. */
const className = z.string().min(1);

/** Active hours: the rule applies only inside one of these windows (device time zone). */
export const scheduleSchema = z
  .array(
    z.strictObject({
      days: scheduleWindow.shape.days.default([...DAYS]).describe('Days the window opens on.'),
      from: scheduleWindow.shape.from.describe(
        'Start, `HH:MM` (24 h). A window whose `from` is later than its `to` crosses midnight and belongs to the day it starts (`fri 22:00–06:00` covers Saturday morning); `from` = `to` is the whole day.',
      ),
      to: scheduleWindow.shape.to.describe('End, `HH:MM` (24 h), exclusive.'),
    }),
  )
  .min(1)
  .max(MAX_SCHEDULE_WINDOWS)
  .describe('Active hours in `device.timezone`: the rule applies only inside one of these windows. None: always.');

export const DEFAULT_VEHICLE_CLASSES = ['car', 'truck', 'bus', 'motorcycle'];
export const DEFAULT_GOODS_CLASSES = ['umbrella', 'dining table', 'chair', 'bench', 'suitcase', 'bicycle', 'motorcycle'];

const zoneBase = {
  id: idOf('zone').describe('Zone id, unique within the camera.'),
  polygon: polygonSchema.describe(
    'Points `[x, y]` normalised to the frame (0,0 top-left, 1,1 bottom-right); a simple polygon (no crossing edges) of non-zero area.',
  ),
  dwellSeconds: wire.dwellSeconds.default(300).describe('How long the subject must stay before it is a violation.'),
  evidenceRepeatSeconds: wire.evidenceRepeatSeconds.default(60).describe('A second pair of photos this long after discovery, if the violation is still there.'),
  updateSeconds: wire.updateSeconds.default(30).describe('`updated` messages at most this often while a violation lasts.'),
  leaveGraceSeconds: wire.leaveGraceSeconds
    .default(5)
    .describe('The violation ends (`left`) only after its subject has been gone this long: rides out occlusions.'),
  schedule: scheduleSchema.optional(),
  minConfidence: wire.minConfidence.default(0.35).describe('Minimum (smoothed) detector score of the subject.'),
  detector: wire.detector.describe(
    'A second-stage model, one of the camera\'s `models` by `model` id, run on the zone\'s crop every `everySeconds` (frame time, on frames the main detector runs on); what it finds counts in this zone only (docs/edge.md, *Zone models*).',
  ),
};

const zoneKind = <K extends string>(kind: K) => z.literal(kind).describe('Which rule the zone enforces.');

export const noParkingZoneSchema = z.strictObject({
  ...zoneBase,
  kind: zoneKind('no_parking'),
  vehicleClasses: wire.vehicleClasses.default(DEFAULT_VEHICLE_CLASSES).describe('What counts as a vehicle.'),
  graceSeconds: wire.graceSeconds
    .default(0)
    .describe('Loading, unloading and drop-off: a stop shorter than this is no violation (`illegal_parking` after the longer of this and `dwellSeconds`).'),
  maxStaySeconds: wire.maxStaySeconds.describe(
    'Time-limited parking: vehicles may stay this long; one that stays longer is an `overstay` (then `dwellSeconds` and `graceSeconds` do not apply). None: no parking at all.',
  ),
});

export const noVendingZoneSchema = z.strictObject({
  ...zoneBase,
  kind: zoneKind('no_vending'),
  goodsClasses: wire.goodsClasses
    .default(DEFAULT_GOODS_CLASSES)
    .describe('Detected classes that, found on a new object, raise its confidence (goods, stall furniture); not required.'),
  personClasses: wire.personClasses.default(['person']).describe('Who can tend a stall.'),
  personNearFactor: wire.personNearFactor
    .default(0.5)
    .describe('How far (in object heights) a person may stand from a new object and still tend it: beside it, not across the pavement.'),
  clusterGapFactor: wire.clusterGapFactor.default(1.0).describe('New objects closer than this (in box heights) are one stall.'),
  tendingShare: wire.tendingShare
    .default(0.5)
    .describe('A new object is a stall (`street_vending`) when a person stood or moved slowly near it for this share of the dwell.'),
  obstructions: wire.obstructions
    .default(false)
    .describe('Also report a new object nobody tends for the dwell as an `obstruction` (goods or materials left on the pavement).'),
});

/** Scene occupancy of a camera's no_vending zones (edge/logic/occupancy/). */
export const occupancySchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Watch no_vending zones for new objects against a learnt empty scene (stalls, goods left).'),
    learnSeconds: z.number().positive().default(4).describe('The empty scene is learnt over this long after the camera starts: whatever stands there then is scene.'),
    relearnSeconds: z
      .number()
      .positive()
      .default(10)
      .describe('After the camera moved, the picture must stay steady this long while the scene is learnt again; the rules are paused meanwhile.'),
    sampleSeconds: z.number().positive().default(0.5).describe('The scene is compared at most this often (frame time).'),
    gridColumns: z.number().int().min(16).max(400).default(96).describe('Columns of the grid of cells the picture is reduced to (rows follow the aspect ratio).'),
    cellDelta: z
      .number()
      .positive()
      .max(255)
      .default(25)
      .describe('Grey levels (0..255) a cell must differ from the empty scene, once global light changes are taken out, to be changed.'),
    minObjectArea: z.number().positive().max(1).default(0.002).describe('Smallest new object, as a share of the picture.'),
    persistSeconds: z.number().positive().default(5).describe('A change must stay put this long to be an object (passers-by, noise).'),
    keeperMinSeconds: z
      .number()
      .min(0)
      .default(8)
      .describe(
        'A person tends a new object only after standing or moving slowly near it this long without a break (then the whole spell counts towards `tendingShare`): people walking past, each near it for a moment, never add up to a keeper.',
      ),
    holdSeconds: z
      .number()
      .min(0)
      .default(10)
      .describe('An object is reported only while seen (or hidden behind a tracked person or vehicle); one seen again within this long keeps its id and dwell.'),
    adaptSeconds: z
      .number()
      .positive()
      .default(120)
      .describe('Time constant of the empty scene following slow changes where nothing new stands.'),
    moveShare: z
      .number()
      .positive()
      .max(1)
      .default(0.12)
      .describe('A jump of this share of the picture changing at once is the camera moved (`camera_moved`): rules pause, the scene is learnt again.'),
    ignoreClasses: z
      .array(className)
      .default(['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'])
      .describe('Tracked objects of these classes are never new objects: their boxes are left out of the comparison.'),
  })
  .prefault({})
  .describe('Scene occupancy of no_vending zones (docs/edge.md, *No-vending zones*).');

export const zoneSchema = z.discriminatedUnion('kind', [noParkingZoneSchema, noVendingZoneSchema]);

/** Each model is a session in memory and a worker thread. */
const MAX_MODELS_PER_CAMERA = 8;

/** Class ids are the model's output indices. */
const classId = z.string().regex(/^(0|[1-9]\d{0,3})$/, 'class ids are whole numbers (the model\'s output index)');

/** A user's own ONNX detector, run on zone crops (`zones[].detector`): its file, head and class names. */
export const zoneModelSchema = z.strictObject({
  id: idOf('model').describe('Model id, named by a zone\'s `detector.model`.'),
  path: z.string().min(1).describe('The ONNX file, relative to the config file; fixed input size `[1, 3, H, W]`.'),
  format: z
    .enum(DETECTION_FORMATS)
    .describe('Output head: `yolov8` (Ultralytics export, `[1, 4 + classes, anchors]`, RGB 0–1 input) or `yolox` (`[1, anchors, 5 + classes]`, BGR 0–255 input).'),
  classes: z
    .union([z.array(className).min(1), z.record(classId, className)])
    .describe(
      'The labels of its classes, as the zone\'s rule knows them: a list (index = class id, every class kept) or a map of class id to label (`{0: cart, 1: stall}`; other classes are dropped). Each label must be one the zone\'s rule looks at (`goodsClasses`/`personClasses`, `vehicleClasses`).',
    ),
});

export const cameraSchema = z.strictObject({
  id: idOf('camera').describe(`Camera id (an MQTT topic level), unique on the box; \`${SENSOR_ONLY_CAMERA}\` is reserved.`),
  source: z
    .string()
    .min(1, 'source is required')
    .describe('Video file (relative to the config file) or `rtsp://`, `http(s)://` URL; RTSP runs over TCP.'),
  fps: z.number().positive().max(60).default(2).describe('Frames per second taken from the stream (ffmpeg resamples).'),
  loop: z.boolean().default(false).describe('File sources: start again at the end, like a camera that never stops.'),
  enabled: z.boolean().default(true).describe('`false`: not opened; reported as `disabled`.'),
  watchdogSeconds: z
    .number()
    .positive()
    .default(10)
    .describe('Network and looping sources: no frame for this long → reported `stalled` and restarted.'),
  decodeThreads: z
    .number()
    .int()
    .min(0)
    .max(16)
    .default(1)
    .describe(
      'ffmpeg threads for decoding and scaling this camera; `0`: one per core. One keeps decoding out of the inference workers\' way on a small box (5–10 % more frames/s on 2 cores); raise it for a stream one core cannot decode at its own rate (4K, H.265). `edge doctor` shows the decoding load and warns when it nears the limit.',
    ),
  reconnect: z
    .strictObject({
      initialMs: z.number().int().positive().default(1000).describe('First reconnect delay; it doubles on each failure…'),
      maxMs: z.number().int().positive().default(30000).describe('…up to this.'),
    })
    .prefault({}),
  zones: z
    .array(zoneSchema)
    .max(MAX_ZONES_PER_CAMERA, `at most ${MAX_ZONES_PER_CAMERA} zones per camera`)
    .default([])
    .describe('The zones this camera watches: the same zone fields as `config/desired` and `config/reported` (contract/zones.ts).'),
  models: z
    .array(zoneModelSchema)
    .max(MAX_MODELS_PER_CAMERA, `at most ${MAX_MODELS_PER_CAMERA} models per camera`)
    .default([])
    .describe('Second-stage detectors its zones may run on their crops (`zones[].detector`); loaded at start-up, a file used by several cameras once.'),
  location: z
    .strictObject({ lat: z.number(), long: z.number(), address: z.string().optional() })
    .optional()
    .describe('Where the camera is. Not sent to the centre, which takes work-order locations from its own `cameras[]`.'),
});

export const sensorBaySchema = z.strictObject({
  id: idOf('sensor').describe('Sensor id: the `<id>` of the HTTP path, or the last level of the MQTT topic.'),
  zoneId: idOf('zone').describe('The `no_parking` zone the bay lies in.'),
  cameraId: z.string().optional().describe('Camera whose zone it is; leave it out for a bay no camera covers (sensor-only detections).'),
  dwellSeconds: z.number().positive().default(300).describe('Sensor-only bays: how long occupied before it is a violation.'),
});

export const edgeConfigSchema = z
  .strictObject({
    device: z.strictObject({
      id: idOf('device').describe("The box's id: every topic it publishes is `<mqtt.rootTopic>/<device.id>/…`."),
      timezone: z
        .string()
        .refine(isValidTimeZone, 'unknown time zone (use an IANA name such as Asia/Shanghai)')
        .default('UTC')
        .describe('IANA time zone of the zones\' `schedule`s, e.g. `Asia/Shanghai`.'),
    }),
    mqtt: z
      .strictObject({
        url: z
          .string()
          .regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, tcp://, ws:// or wss:// URL')
          .describe('The broker: `mqtt://`, `mqtts://`, `ws://`, `wss://` (or `tcp://`).'),
        username: z.string().optional().describe('Broker user name: the device id, on the centre\'s broker.'),
        password: z.string().optional().describe('Broker password; an empty string counts as none.'),
        rootTopic: z.string().default('streetwatch/v1').describe('First topic levels of everything published; the centre\'s `rootTopic` must match.'),
        keepaliveSeconds: z.number().int().positive().default(30).describe('MQTT keep-alive.'),
        caFile: z
          .string()
          .optional()
          .describe('PEM file of the CA that signed the broker\'s certificate (TLS), relative to the config file.'),
      }),
    center: z
      .strictObject({
        url: z
          .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
          .describe('The centre\'s HTTP API (`edge init` fills it from the bundle): `edge doctor` compares the box\'s clock with its `/healthz` time.'),
      })
      .optional()
      .describe('The command centre, as the box reaches it.'),
    model: modelSpecSchema
      .default({ name: 'yolox_nano' })
      .describe(
        'Detector model: by manifest `name` (found in the model cache, then in `../shared/models/`), or by `path` (relative to the config file) identified by its sha256 among the manifests, or trusted as `name` for re-exports and fine-tunes.',
      ),
    detector: z
      .strictObject({
        workers: z
          .number()
          .int()
          .min(0)
          .max(8)
          .default(2)
          .describe(
            'Inference worker threads, each with its own model session: a camera\'s frames are inferred in parallel and applied in order. `0` runs the model on the main thread.',
          ),
        threads: z.number().int().min(1).max(16).default(1).describe('onnxruntime intra-op threads per model session.'),
        scoreThreshold: z.number().min(0).max(1).default(0.3).describe('Minimum detector score for a box to be kept.'),
        classThresholds: z
          .record(className, z.number().min(0).max(1))
          .default({})
          .describe('Per-class minimum score (class name → score), overriding `scoreThreshold`.'),
        nmsIou: z.number().min(0).max(1).default(0.45).describe('Overlap (IoU) above which duplicate boxes are suppressed.'),
        mergeClasses: z
          .array(z.array(className).min(2))
          .default([['car', 'truck', 'bus']])
          .describe('Labels that suppression treats as one object: the detector often scores one van as both car and truck.'),
        regions: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe('Run the detector on crops around the active zones (and the tracks and motion touching them), at the model\'s input size, instead of on the whole frame scaled down: small and distant objects are resolved. Off: whole frames only.'),
            wholeFrameEverySeconds: z
              .number()
              .positive()
              // 4 s and one region: regions cost ≤ 15 % more than whole frames (bench/README.md, *Region-based detection*).
              .default(4)
              .describe('A whole-frame pass at least this often (and on the first frame), instead of that frame\'s regions, for what happens outside them.'),
            maxRegions: z
              .number()
              .int()
              .min(1)
              .max(8)
              .default(1)
              .describe('At most this many regions per inferred frame; zones beyond it wait for the whole-frame pass. Each region is one more model run per frame.'),
            minSize: z
              .number()
              .int()
              .min(32)
              .default(416)
              .describe('Smallest region side in pixels; the model\'s input size is the floor, so a region is never scaled up to fill the input.'),
          })
          .prefault({})
          .describe('Region-based detection (docs/edge.md, *Regions*).'),
      })
      .prefault({}),
    tracking: z
      .strictObject({
        maxGapSeconds: z
          .number()
          .positive()
          .default(10)
          .describe('A track not seen for this long is dropped (a stationary object keeps its id through gaps).'),
        iouThreshold: z.number().min(0).max(1).default(0.3).describe('Minimum overlap (IoU) to match a detection to a track.'),
        stationaryTolerance: z
          .number()
          .positive()
          .default(0.15)
          .describe('Box-centre movement, as a fraction of box size, below which an object counts as still.'),
        stationarySeconds: z.number().positive().default(5).describe('How long an object must be still to be called stationary.'),
        queueHoldSeconds: z
          .number()
          .min(0)
          .default(90)
          .describe(
            'A vehicle stopped in a queue (next to others that stopped with it) is no parking candidate for up to this long; a line that stands longer is parked cars. 0: off.',
          ),
      })
      .prefault({}),
    occupancy: occupancySchema,
    motion: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Skip inference on frames without motion; tracked objects are carried forward.'),
        recheckSeconds: z
          .number()
          .positive()
          .default(1)
          .describe('Run inference at least this often, even without motion, to re-confirm stationary objects.'),
        threshold: z.number().min(0).max(1).default(0.002).describe('Fraction of grid cells that must change for a frame to count as moving.'),
      })
      .prefault({}),
    plates: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Read the plates of vehicles standing still in `no_parking` zones.'),
        model: modelSpecSchema
          .default({ name: 'y5fu_640x_sim' })
          .describe(
            'Plate detector, found like `model` (the cache, then `../shared/models/hyperlpr3/`): `y5fu_640x_sim`, or `y5fu_320x_sim`. With the 640 one configured and the 320 one installed too, inputs that fit 320×320 go to the 320 one.',
          ),
        threads: z.number().int().min(1).max(16).default(1).describe('onnxruntime intra-op threads of the plate detector and recogniser.'),
        format: z
          .string()
          .refine((s) => { try { new RegExp(s, 'u'); return true; } catch { return false; } }, 'format must be a valid regular expression')
          .optional()
          .describe(
            'Valid plate text after normalisation, a regular expression matched whole (like Frigate\'s `lpr.format`). Default: mainland plates (detector/plate/plate-text.ts).',
          ),
        minConfidence: z
          .number()
          .min(0)
          .max(1)
          .default(0.8)
          .describe('A read below this is no vote; a vehicle without a vote is reported unread, never guessed.'),
        readIntervalSeconds: z.number().positive().default(2).describe('While a vehicle dwells, its plate is read at most this often…'),
        maxReads: z.number().int().min(1).default(8).describe('…at most this many times…'),
        agreeingReads: z.number().int().min(1).default(3).describe('…and no more once this many reads agree.'),
      })
      .prefault({})
      .describe('Licence plates of vehicles standing in `no_parking` zones (docs/edge.md, *Licence plates*).'),
    privacy: z
      .strictObject({
        blurPeople: z
          .boolean()
          .default(true)
          .describe('Pixelate people in evidence photos before encoding (for vending, the people tending the stall stay visible).'),
        blurPlates: z
          .boolean()
          .default(true)
          .describe('Pixelate every plate in the evidence photos but the offender\'s (runs the plate detector on each photo).'),
      })
      .prefault({}),
    spool: z
      .strictObject({
        dir: z.string().default('./spool').describe('On-disk outgoing queue, relative to the config file.'),
        maxMegabytes: z
          .number()
          .positive()
          .default(256)
          .describe('Size budget: when it is full the least valuable messages go first; detections and evidence are never dropped.'),
      })
      .prefault({}),
    telemetry: z
      .strictObject({ intervalSeconds: telemetrySettings.shape.intervalSeconds.default(30).describe('Telemetry period.') })
      .prefault({}),
    sensors: z
      .strictObject({
        mqttTopic: z
          .string()
          .optional()
          .describe('Local MQTT topic filter the sensors publish to, e.g. `sensors/+` (the last level is the sensor id). None: off.'),
        mqttUrl: z
          .string()
          .optional()
          .describe('Broker the sensors use. None: the agent\'s broker and credentials (a separate broker gets no credentials from `mqtt`).'),
        httpPort: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .optional()
          .describe('Serve `POST /sensors/<id>` with `{"occupied": true}` on this port. None: off.'),
        bays: z.array(sensorBaySchema).default([]).describe('One entry per sensor.'),
      })
      .prefault({})
      .describe('Street sensors near the box, e.g. geomagnetic bay sensors.'),
    exemptPlates: exemptPlates
      .default([])
      .describe('Vehicles no parking rule applies to (police, permit holders): `{plate, expiresAt?, reason?}`; usually sent by the centre (docs/edge.md, *Exempt plates*).'),
    cameras: z.array(cameraSchema).min(1, 'at least one camera is required').describe('The cameras the box reads.'),
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
      checkZoneModels(cfg, ci, ctx);
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

/** A camera's model ids are unique, and each zone's `detector` names one of them with labels its rule looks at. */
function checkZoneModels(cfg: EdgeConfig, ci: number, ctx: z.RefinementCtx): void {
  const cam = cfg.cameras[ci];
  const ids = new Set<string>();
  cam.models.forEach((m, mi) => {
    if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['cameras', ci, 'models', mi, 'id'], message: `duplicate model id ${m.id}` });
    ids.add(m.id);
  });
  cam.zones.forEach((zone, zi) => {
    if (!zone.detector) return;
    const path = ['cameras', ci, 'zones', zi, 'detector'];
    const { model: id, everySeconds } = zone.detector;
    const model = cam.models.find((m) => m.id === id);
    if (!model) {
      const known = cam.models.map((m) => m.id).join(', ') || 'none';
      ctx.addIssue({ code: 'custom', path: [...path, 'model'], message: `zone ${zone.id}: unknown model "${id}" (camera ${cam.id}'s models: ${known})` });
      return;
    }
    // Between runs the tracker keeps the model's objects only as long as it keeps any unseen object.
    if (everySeconds >= cfg.tracking.maxGapSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'everySeconds'],
        message: `zone ${zone.id}: model ${id} every ${everySeconds} s would lose its objects' tracks between runs; keep it below tracking.maxGapSeconds (${cfg.tracking.maxGapSeconds} s)`,
      });
    }
    const looked = zone.kind === 'no_parking' ? { vehicleClasses: zone.vehicleClasses } : { goodsClasses: zone.goodsClasses, personClasses: zone.personClasses };
    const seen = new Set(Object.values(looked).flat());
    for (const label of modelLabels(model).values()) {
      if (seen.has(label)) continue;
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'model'],
        message: `zone ${zone.id}: model ${id} labels a class "${label}", which is not in the zone's ${Object.keys(looked).join(' or ')}; add it there or leave it out of the model's classes`,
      });
    }
  });
}

export type ZoneModelConfig = z.output<typeof zoneModelSchema>;

/** The model's class id → label; ids without a label are not passed on. */
export function modelLabels(model: Pick<ZoneModelConfig, 'classes'>): Map<number, string> {
  const entries = Array.isArray(model.classes) ? model.classes.map((label, i) => [i, label] as const) : Object.entries(model.classes).map(([i, label]) => [Number(i), label] as const);
  return new Map(entries);
}

export type EdgeConfig = z.output<typeof edgeConfigSchema>;
export type CameraConfig = EdgeConfig['cameras'][number];
export type ZoneConfig = z.output<typeof zoneSchema>;
export type NoParkingZone = z.output<typeof noParkingZoneSchema>;
export type NoVendingZone = z.output<typeof noVendingZoneSchema>;
export type TrackingConfig = EdgeConfig['tracking'];
export type SensorBay = EdgeConfig['sensors']['bays'][number];
export type PlatesConfig = EdgeConfig['plates'];
export type OccupancyConfig = EdgeConfig['occupancy'];

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
    cameras: cfg.cameras.map((c) => ({
      ...c,
      source: resolveFromConfig(file, c.source),
      models: c.models.map((m) => ({ ...m, path: resolveFromConfig(file, m.path) })),
    })),
  };
}

/**
 * Every class a config names must be one the model can output; custom models bring their own
 * names, and a camera's zone models add their labels for its zones.
 */
export function checkClassNames(cfg: EdgeConfig, modelClasses: readonly string[]): void {
  const problems: string[] = [];
  const check = (known: ReadonlySet<string>, path: string, names: readonly string[]) =>
    names.forEach((n, i) => {
      if (!known.has(n)) problems.push(`  ${path}[${i}]: unknown class "${n}" (the model knows: ${[...known].slice(0, 12).join(', ')}, ...)`);
    });
  const known = new Set(modelClasses);
  cfg.detector.mergeClasses.forEach((g, gi) => check(known, `detector.mergeClasses[${gi}]`, g));
  Object.keys(cfg.detector.classThresholds).forEach((n) => {
    if (!known.has(n)) problems.push(`  detector.classThresholds.${n}: unknown class "${n}"`);
  });
  cfg.cameras.forEach((cam, ci) => {
    const camKnown = new Set([...modelClasses, ...cam.models.flatMap((m) => [...modelLabels(m).values()])]);
    cam.zones.forEach((zone, zi) => {
      const base = `cameras[${ci}].zones[${zi}]`;
      if (zone.kind === 'no_parking') check(camKnown, `${base}.vehicleClasses`, zone.vehicleClasses);
      else {
        check(camKnown, `${base}.goodsClasses`, zone.goodsClasses);
        check(camKnown, `${base}.personClasses`, zone.personClasses);
      }
    });
  });
  if (problems.length) throw new ConfigError(`invalid config:\n${problems.join('\n')}`);
}

export { ConfigError };

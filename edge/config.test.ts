/** Edge config loading: the shipped example, env substitution, and one clear error per kind of mistake. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { projectRoot, sharedDir } from '../common/paths.js';
import { loadManifest } from '../models/manifest.js';
import { tempDir } from '../test/fixtures.js';
import {
  checkClassNames, ConfigError, DEFAULT_GOODS_CLASSES, DEFAULT_VEHICLE_CLASSES, loadEdgeConfig, modelLabels, type EdgeConfig,
} from './config.js';

const EXAMPLE = join(projectRoot, 'examples', 'edge-vtest.yaml');
const COCO = loadManifest('yolox_nano').classNames;
const dir = tempDir('sw-config-');
let fileNo = 0;

/** Writes `doc` (an object → YAML, a string → as is) to a fresh file in the temp dir. */
function writeConfig(doc: unknown, ext = 'yaml'): string {
  const file = join(dir, `config-${fileNo++}.${ext}`);
  writeFileSync(file, typeof doc === 'string' ? doc : ext === 'json' ? JSON.stringify(doc) : YAML.stringify(doc));
  return file;
}

/** A minimal valid config; tests change one thing and expect exactly that to be reported. */
function validDoc(): Record<string, any> {
  return {
    device: { id: 'pole-9' },
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    cameras: [
      {
        id: 'cam-1',
        source: 'rtsp://cam.local/stream',
        zones: [
          { id: 'kerb', kind: 'no_parking', polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]] },
          { id: 'plaza', kind: 'no_vending', polygon: [[0.5, 0.5], [0.9, 0.5], [0.9, 0.9]] },
        ],
      },
    ],
  };
}

/** Loads `doc` and returns the ConfigError message (fails the test if it loads). */
function loadError(doc: unknown, env: NodeJS.ProcessEnv = {}): string {
  const file = writeConfig(doc);
  try {
    loadEdgeConfig(file, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('CONFIG_INVALID');
    const msg = (e as Error).message;
    expect(msg).toContain(file); // which file is wrong
    return msg;
  }
  throw new Error(`config loaded although it should not: ${JSON.stringify(doc)}`);
}

describe('loadEdgeConfig: the example', () => {
  it('fills every default and resolves the video source relative to the config file', () => {
    const cfg = loadEdgeConfig(EXAMPLE, {});
    expect(cfg.device).toEqual({ id: 'pole-0001', timezone: 'UTC' });
    expect(cfg.mqtt).toEqual({
      url: 'mqtt://127.0.0.1:1883', username: 'pole-0001', password: '', rootTopic: 'streetwatch/v1', keepaliveSeconds: 30,
    });
    expect(cfg.model).toEqual({ name: 'yolox_nano' });
    expect(cfg.detector).toEqual({
      workers: 2, threads: 1, scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.45, mergeClasses: [['car', 'truck', 'bus']],
      regions: { enabled: false, wholeFrameEverySeconds: 4, maxRegions: 1, minSize: 416 },
    });
    expect(cfg.tracking).toEqual({ maxGapSeconds: 10, iouThreshold: 0.3, stationaryTolerance: 0.15, stationarySeconds: 5, queueHoldSeconds: 90 });
    expect(cfg.motion).toEqual({ enabled: true, recheckSeconds: 1, threshold: 0.002 });
    expect(cfg.privacy).toEqual({ blurPeople: true, blurPlates: true });
    expect(cfg.telemetry).toEqual({ intervalSeconds: 30 });
    expect(cfg.sensors).toEqual({ bays: [] });
    // The spool dir is relative to the config file too.
    expect(cfg.spool).toEqual({ dir: join(projectRoot, 'examples', 'spool'), maxMegabytes: 256 });

    expect(cfg.cameras).toHaveLength(1);
    const cam = cfg.cameras[0];
    expect(cam.source).toBe(join(sharedDir, 'fixtures', 'vtest.avi'));
    expect(existsSync(cam.source)).toBe(true);
    expect(cam).toMatchObject({ id: 'cam-1', fps: 10, loop: false, enabled: true, watchdogSeconds: 10, reconnect: { initialMs: 1000, maxMs: 30000 } });
    expect(cam.location).toBeUndefined();

    const [kerb, plaza] = cam.zones;
    expect(kerb).toEqual({
      id: 'kerb', kind: 'no_parking', polygon: [[0.8, 0.04], [1.0, 0.04], [1.0, 0.22], [0.8, 0.22]],
      dwellSeconds: 30, evidenceRepeatSeconds: 30, updateSeconds: 30, leaveGraceSeconds: 5, minConfidence: 0.35,
      vehicleClasses: DEFAULT_VEHICLE_CLASSES, graceSeconds: 0,
    });
    expect(plaza).toEqual({
      id: 'plaza', kind: 'no_vending', polygon: [[0.35, 0.25], [0.85, 0.25], [0.85, 0.6], [0.35, 0.6]],
      dwellSeconds: 30, evidenceRepeatSeconds: 60, updateSeconds: 30, leaveGraceSeconds: 5, minConfidence: 0.35,
      goodsClasses: DEFAULT_GOODS_CLASSES, personClasses: ['person'], personNearFactor: 0.5, clusterGapFactor: 1.0, tendingShare: 0.5, obstructions: false,
    });
    // Every class the example names is one yolox_nano knows.
    expect(() => checkClassNames(cfg, COCO)).not.toThrow();
  });

  it('uses ${MQTT_URL:-…} from the environment when set, the default when unset or empty', () => {
    expect(loadEdgeConfig(EXAMPLE, { MQTT_URL: 'mqtts://broker.city.example:8883' }).mqtt.url).toBe('mqtts://broker.city.example:8883');
    expect(loadEdgeConfig(EXAMPLE, { MQTT_URL: '' }).mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(loadEdgeConfig(EXAMPLE, { MQTT_PASSWORD: 's3cret' }).mqtt.password).toBe('s3cret');
  });

  it('an env value is validated like a literal one', () => {
    const msg = (() => {
      try {
        loadEdgeConfig(EXAMPLE, { MQTT_URL: 'http://broker:1883' });
      } catch (e) {
        return (e as Error).message;
      }
      return 'loaded';
    })();
    expect(msg).toMatch(/mqtt\.url: must be an mqtt:\/\//);
  });

  it('${NAME} without a default and not set is an error naming the field path and the variable', () => {
    const doc = validDoc();
    doc.mqtt.password = '${EDGE_MQTT_PASSWORD}';
    doc.cameras[0].source = 'rtsp://${CAM_USER:-admin}:${CAM_PASS}@cam.local/stream';
    const file = writeConfig(doc);
    expect(() => loadEdgeConfig(file, {})).toThrow(/mqtt\.password: environment variable EDGE_MQTT_PASSWORD is not set/);
    expect(() => loadEdgeConfig(file, { EDGE_MQTT_PASSWORD: 'x' })).toThrow(/cameras\[0\]\.source: environment variable CAM_PASS is not set/);
    const cfg = loadEdgeConfig(file, { EDGE_MQTT_PASSWORD: 'x', CAM_PASS: 'pw' });
    expect(cfg.cameras[0].source).toBe('rtsp://admin:pw@cam.local/stream');
    expect(cfg.mqtt.password).toBe('x');
  });
});

describe('loadEdgeConfig: strict keys and typed env values', () => {
  it('an unknown key anywhere is an error naming its path, the closest known key and its line', () => {
    const doc = validDoc();
    doc.cameras[0].zones[0].dwelSeconds = 60;
    doc.cameras[0].zones[1].goodClasses = ['chair'];
    doc.tracking = { maxGapSecond: 5 };
    doc.mqtt.passwrd = 'x';
    doc.model = { nmae: 'yolox_nano' };
    const file = writeConfig(doc);
    const lineOf = (text: string) => readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
    const msg = loadError(doc);
    expect(msg).toMatch(new RegExp(`cameras\\[0\\]\\.zones\\[0\\]\\.dwelSeconds: unknown key \\(did you mean dwellSeconds\\?\\) \\(line ${lineOf('dwelSeconds')}, column \\d+\\)`));
    expect(msg).toMatch(new RegExp(`cameras\\[0\\]\\.zones\\[1\\]\\.goodClasses: unknown key \\(did you mean goodsClasses\\?\\) \\(line ${lineOf('goodClasses')},`));
    expect(msg).toMatch(new RegExp(`tracking\\.maxGapSecond: unknown key \\(did you mean maxGapSeconds\\?\\) \\(line ${lineOf('maxGapSecond')},`));
    expect(msg).toMatch(new RegExp(`mqtt\\.passwrd: unknown key \\(did you mean password\\?\\) \\(line ${lineOf('passwrd')},`));
    expect(msg).toMatch(new RegExp(`model\\.nmae: unknown key \\(did you mean name\\?\\) \\(line ${lineOf('nmae')},`));
  });

  it('an unknown top-level section is refused too', () => {
    const doc = validDoc();
    doc.plate = { enabled: false };
    expect(loadError(doc)).toMatch(/ {2}plate: unknown key \(did you mean plates\?\) \(line \d+, column 1\)/);
  });

  it('`fps: ${CAM_FPS:-10}` is a number and `enabled: ${X:-false}` a boolean', () => {
    const doc = validDoc();
    doc.cameras[0].fps = '${CAM_FPS:-10}';
    doc.cameras[0].enabled = '${CAM_ON:-false}';
    const file = writeConfig(YAML.stringify(doc).replace(/'(\$\{[^']*\})'/g, '$1'));
    expect(loadEdgeConfig(file, {}).cameras[0]).toMatchObject({ fps: 10, enabled: false });
    expect(loadEdgeConfig(file, { CAM_FPS: '4', CAM_ON: 'true' }).cameras[0]).toMatchObject({ fps: 4, enabled: true });
  });
});

describe('loadEdgeConfig: paths', () => {
  it('keeps URLs and absolute paths, resolves relative ones against the config file (not the cwd)', () => {
    const doc = validDoc();
    doc.cameras.push({ id: 'cam-2', source: 'clips/a.mp4' }, { id: 'cam-3', source: '/srv/video/b.mp4' }, { id: 'cam-4', source: 'http://x/mjpeg' });
    doc.model = { path: 'models/custom.onnx' };
    doc.mqtt.caFile = 'certs/ca.pem';
    doc.spool = { dir: '/var/spool/sw' };
    const cfg = loadEdgeConfig(writeConfig(doc), {});
    expect(cfg.cameras.map((c) => c.source)).toEqual([
      'rtsp://cam.local/stream', join(dir, 'clips', 'a.mp4'), '/srv/video/b.mp4', 'http://x/mjpeg',
    ]);
    expect(cfg.model.path).toBe(join(dir, 'models', 'custom.onnx'));
    expect(cfg.mqtt.caFile).toBe(join(dir, 'certs', 'ca.pem'));
    expect(cfg.spool.dir).toBe('/var/spool/sw');
  });

  it('reads JSON as well as YAML', () => {
    const cfg = loadEdgeConfig(writeConfig(validDoc(), 'json'), {});
    expect(cfg.device.id).toBe('pole-9');
    expect(cfg.cameras[0].zones.map((z) => `${z.id}:${z.kind}`)).toEqual(['kerb:no_parking', 'plaza:no_vending']);
    expect(cfg.cameras[0].fps).toBe(2);
  });
});

describe('loadEdgeConfig: invalid configs name the field path', () => {
  const cases: [string, (doc: Record<string, any>) => void, RegExp][] = [
    ['a polygon of 2 points', (d) => (d.cameras[0].zones[0].polygon = [[0.1, 0.1], [0.5, 0.5]]),
      /cameras\[0\]\.zones\[0\]\.polygon: a polygon needs at least 3 points/],
    ['a self-intersecting bow-tie', (d) => (d.cameras[0].zones[1].polygon = [[0.1, 0.1], [0.6, 0.6], [0.9, 0.1], [0.1, 0.8]]),
      /cameras\[0\]\.zones\[1\]\.polygon: polygon edges 0 and 2 cross each other/],
    ['a symmetric bow-tie (signed area 0) is reported as crossing', (d) => (d.cameras[0].zones[0].polygon = [[0, 0], [1, 1], [1, 0], [0, 1]]),
      /cameras\[0\]\.zones\[0\]\.polygon: polygon edges 0 and 2 cross each other/],
    ['a coordinate > 1 (pixels instead of fractions)', (d) => (d.cameras[0].zones[0].polygon = [[0.1, 0.1], [640, 0.1], [0.5, 0.5]]),
      /cameras\[0\]\.zones\[0\]\.polygon\[1\]\[0\]: must be within 0\.\.1/],
    ['a negative coordinate', (d) => (d.cameras[0].zones[0].polygon = [[0.1, -0.1], [0.5, 0.1], [0.5, 0.5]]),
      /cameras\[0\]\.zones\[0\]\.polygon\[0\]\[1\]: must be within 0\.\.1/],
    ['a zero-area polygon (collinear points)', (d) => (d.cameras[0].zones[0].polygon = [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]),
      /cameras\[0\]\.zones\[0\]\.polygon: polygon has zero area/],
    ['an unknown zone kind', (d) => (d.cameras[0].zones[1].kind = 'no_stopping'),
      /cameras\[0\]\.zones\[1\]\.kind: .*no_parking.*no_vending/],
    ['a missing source', (d) => delete d.cameras[0].source, /cameras\[0\]\.source: /],
    ['an empty source', (d) => (d.cameras[0].source = ''), /cameras\[0\]\.source: source is required/],
    ['no cameras', (d) => (d.cameras = []), /cameras: at least one camera is required/],
    ['a negative queue hold', (d) => (d.tracking = { queueHoldSeconds: -1 }), /tracking\.queueHoldSeconds: /],
    ['no cameras key at all', (d) => delete d.cameras, /cameras: /],
    ['a duplicate camera id', (d) => d.cameras.push({ id: 'cam-1', source: 'rtsp://other/stream' }),
      /cameras\[1\]\.id: duplicate camera id cam-1/],
    ['a duplicate zone id', (d) => (d.cameras[0].zones[1].id = 'kerb'),
      /cameras\[0\]\.zones\[1\]\.id: duplicate zone id kerb/],
    ['a bad schedule time', (d) => (d.cameras[0].zones[0].schedule = [{ days: ['mon'], from: '07:00', to: '24:30' }]),
      /cameras\[0\]\.zones\[0\]\.schedule\[0\]\.to: must be HH:MM \(24 h\)/],
    ['a bad schedule day', (d) => (d.cameras[0].zones[0].schedule = [{ days: ['monday'], from: '07:00', to: '09:00' }]),
      /cameras\[0\]\.zones\[0\]\.schedule\[0\]\.days\[0\]: /],
    ['a sensor bay on a missing camera', (d) => (d.sensors = { bays: [{ id: 'bay-1', zoneId: 'kerb', cameraId: 'cam-9' }] }),
      /sensors\.bays\[0\]\.cameraId: no camera cam-9/],
    ['a sensor bay on a missing zone', (d) => (d.sensors = { bays: [{ id: 'bay-1', zoneId: 'nowhere', cameraId: 'cam-1' }] }),
      /sensors\.bays\[0\]\.zoneId: camera cam-1 has no no_parking zone nowhere/],
    ['a sensor bay on a no_vending zone', (d) => (d.sensors = { bays: [{ id: 'bay-1', zoneId: 'plaza', cameraId: 'cam-1' }] }),
      /sensors\.bays\[0\]\.zoneId: camera cam-1 has no no_parking zone plaza/],
    ['a non-MQTT broker URL', (d) => (d.mqtt.url = 'http://127.0.0.1:1883'), /mqtt\.url: must be an mqtt:\/\//],
    ['a camera id with a slash (it becomes a topic level)', (d) => (d.cameras[0].id = 'cam/1'),
      /cameras\[0\]\.id: camera id may use letters, digits/],
    ['a camera id longer than a topic level may be (64)', (d) => (d.cameras[0].id = 'c'.repeat(65)),
      /cameras\[0\]\.id: camera id may use letters, digits, _ \. - only \(1-64 characters\)/],
    ['a sensor bay whose zone id could not be published', (d) => (d.sensors = { bays: [{ id: 'bay-1', zoneId: 'side street' }] }),
      /sensors\.bays\[0\]\.zoneId: zone id may use letters/],
    ['a sensor bay id with a slash', (d) => (d.sensors = { bays: [{ id: 'bay/1', zoneId: 'kerb', cameraId: 'cam-1' }] }),
      /sensors\.bays\[0\]\.id: sensor id may use letters/],
    ['a negative graceSeconds', (d) => (d.cameras[0].zones[0].graceSeconds = -5),
      /cameras\[0\]\.zones\[0\]\.graceSeconds: /],
    ['an fps above 60', (d) => (d.cameras[0].fps = 120), /cameras\[0\]\.fps: /],
    ['a sensor HTTP port out of range', (d) => (d.sensors = { httpPort: 70000 }), /sensors\.httpPort: /],
    ['no regions at all', (d) => (d.detector = { regions: { enabled: true, maxRegions: 0 } }), /detector\.regions\.maxRegions: /],
  ];

  it.each(cases)('%s', (_what, change, expected) => {
    const doc = validDoc();
    change(doc);
    const msg = loadError(doc);
    expect(msg).toMatch(expected);
    expect(msg.startsWith('invalid config ')).toBe(true);
  });

  it('reports every problem at once, one line each', () => {
    const doc = validDoc();
    doc.cameras[0].zones[0].polygon = [[0, 0], [2, 0], [1, 1]];
    doc.cameras[0].zones[1].kind = 'parking';
    doc.mqtt.url = 'ftp://x';
    const lines = loadError(doc).split('\n').slice(1);
    expect(lines).toHaveLength(3);
    expect(lines.some((l) => l.includes('cameras[0].zones[0].polygon[1][0]'))).toBe(true);
    expect(lines.some((l) => l.includes('cameras[0].zones[1].kind'))).toBe(true);
    expect(lines.some((l) => l.includes('mqtt.url'))).toBe(true);
  });

  it('a sensor-only bay (no cameraId) needs no camera zone', () => {
    const doc = validDoc();
    doc.sensors = { bays: [{ id: 'bay-7', zoneId: 'side-street' }], httpPort: 8089 };
    const cfg = loadEdgeConfig(writeConfig(doc), {});
    expect(cfg.sensors).toEqual({ httpPort: 8089, bays: [{ id: 'bay-7', zoneId: 'side-street', dwellSeconds: 300 }] });
  });
});

describe('loadEdgeConfig: unreadable files', () => {
  it('a YAML syntax error names the file and says it is not valid YAML/JSON', () => {
    const file = writeConfig('device: { id: pole-1\nmqtt: [url: \n');
    expect(() => loadEdgeConfig(file, {})).toThrow(ConfigError);
    expect(() => loadEdgeConfig(file, {})).toThrow(new RegExp(`config file ${file} is not valid YAML/JSON`));
  });

  it('broken JSON is reported the same way', () => {
    const file = writeConfig('{"device": {"id": "x"},', 'json');
    expect(() => loadEdgeConfig(file, {})).toThrow(/is not valid YAML\/JSON/);
  });

  it('a missing file names the path', () => {
    const file = join(dir, 'does-not-exist.yaml');
    expect(() => loadEdgeConfig(file, {})).toThrow(ConfigError);
    expect(() => loadEdgeConfig(file, {})).toThrow(new RegExp(`cannot read config file ${file}: .*ENOENT`));
  });

  it('an empty file is an invalid config, not a crash', () => {
    const file = writeConfig('');
    expect(() => loadEdgeConfig(file, {})).toThrow(ConfigError);
    expect(() => loadEdgeConfig(file, {})).toThrow(/\(root\): /);
  });
});

describe('checkClassNames', () => {
  const base = (): EdgeConfig => loadEdgeConfig(writeConfig(validDoc()), {});

  it('accepts the default classes against the COCO model', () => {
    expect(() => checkClassNames(base(), COCO)).not.toThrow();
  });

  function problem(cfg: EdgeConfig, classes: readonly string[] = COCO): string {
    try {
      checkClassNames(cfg, classes);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('checkClassNames accepted an unknown class');
  }

  it('an unknown class in vehicleClasses names its path', () => {
    const cfg = base();
    const kerb = cfg.cameras[0].zones[0];
    if (kerb.kind !== 'no_parking') throw new Error('fixture');
    kerb.vehicleClasses = ['car', 'van'];
    expect(problem(cfg)).toMatch(/cameras\[0\]\.zones\[0\]\.vehicleClasses\[1\]: unknown class "van"/);
  });

  it('an unknown class in goodsClasses names its path', () => {
    const cfg = base();
    const plaza = cfg.cameras[0].zones[1];
    if (plaza.kind !== 'no_vending') throw new Error('fixture');
    plaza.goodsClasses = ['parasol', 'umbrella'];
    expect(problem(cfg)).toMatch(/cameras\[0\]\.zones\[1\]\.goodsClasses\[0\]: unknown class "parasol"/);
  });

  it('an unknown class in classThresholds names its path', () => {
    const cfg = base();
    cfg.detector.classThresholds = { car: 0.4, scooter: 0.5 };
    const msg = problem(cfg);
    expect(msg).toMatch(/detector\.classThresholds\.scooter: unknown class "scooter"/);
    expect(msg).not.toMatch(/classThresholds\.car/);
  });

  it('lists every unknown class, and a custom model brings its own names', () => {
    const cfg = base();
    // Against a plate-only model, all the default classes are unknown.
    const msg = problem(cfg, ['plate']);
    expect(msg).toMatch(/detector\.mergeClasses\[0\]\[0\]: unknown class "car"/);
    expect(msg).toMatch(/cameras\[0\]\.zones\[1\]\.personClasses\[0\]: unknown class "person"/);
    expect(msg.split('\n').length).toBeGreaterThan(5);
  });
});

describe('loadEdgeConfig: zone models', () => {
  /** validDoc with a `carts` model on cam-1 that the plaza zone runs every 5 s. */
  function withZoneModel(): Record<string, any> {
    const doc = validDoc();
    doc.cameras[0].models = [{ id: 'carts', path: 'models/carts.onnx', format: 'yolov8', classes: { 0: 'cart', 1: 'stall' } }];
    Object.assign(doc.cameras[0].zones[1], { detector: { model: 'carts', everySeconds: 5 }, goodsClasses: ['umbrella', 'cart', 'stall'] });
    return doc;
  }

  it('loads the model (path against the config file) and the zone that runs it', () => {
    const cfg = loadEdgeConfig(writeConfig(withZoneModel()), {});
    expect(cfg.cameras[0].models).toEqual([{ id: 'carts', path: join(dir, 'models', 'carts.onnx'), format: 'yolov8', classes: { 0: 'cart', 1: 'stall' } }]);
    expect(cfg.cameras[0].zones[1].detector).toEqual({ model: 'carts', everySeconds: 5 });
    expect(cfg.cameras[0].zones[0].detector).toBeUndefined();
  });

  it('maps class ids to labels from a map (other ids dropped) or a list (index = id)', () => {
    expect([...modelLabels({ classes: { 1: 'stall', 0: 'cart' } })].sort()).toEqual([[0, 'cart'], [1, 'stall']]);
    expect([...modelLabels({ classes: { 7: 'stall' } })]).toEqual([[7, 'stall']]);
    expect([...modelLabels({ classes: ['cart', 'stall'] })]).toEqual([[0, 'cart'], [1, 'stall']]);
  });

  it('their labels are known classes of the camera\'s zones, not of other cameras\'', () => {
    const doc = withZoneModel();
    doc.cameras.push({ id: 'cam-2', source: 'rtsp://x/2', zones: [{ id: 'square', kind: 'no_vending', polygon: [[0, 0], [1, 0], [1, 1]], goodsClasses: ['stall'] }] });
    const cfg = loadEdgeConfig(writeConfig(doc), {});
    let msg = '';
    try {
      checkClassNames(cfg, COCO);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.split('\n').slice(1)).toEqual([expect.stringMatching(/^ {2}cameras\[1\]\.zones\[0\]\.goodsClasses\[0\]: unknown class "stall"/)]);
  });

  const cases: [string, (doc: Record<string, any>) => void, RegExp][] = [
    ['a zone naming an unknown model (error names the zone and model)', (d) => (d.cameras[0].zones[1].detector.model = 'stalls'),
      /cameras\[0\]\.zones\[1\]\.detector\.model: zone plaza: unknown model "stalls" \(camera cam-1's models: carts\)/],
    ['a zone naming a model on a camera without models', (d) => { d.cameras[0].models = []; },
      /cameras\[0\]\.zones\[1\]\.detector\.model: zone plaza: unknown model "carts" \(camera cam-1's models: none\)/],
    ['a format the detector cannot decode', (d) => (d.cameras[0].models[0].format = 'ssd'),
      /cameras\[0\]\.models\[0\]\.format: .*yolox.*yolov8/],
    ['a class id that is no number', (d) => (d.cameras[0].models[0].classes = { cart: 'cart' }),
      /cameras\[0\]\.models\[0\]\.classes/],
    ['an empty class list', (d) => (d.cameras[0].models[0].classes = []), /cameras\[0\]\.models\[0\]\.classes/],
    ['a label the zone\'s rule does not look at', (d) => (d.cameras[0].zones[1].goodsClasses = ['cart']),
      /cameras\[0\]\.zones\[1\]\.detector\.model: zone plaza: model carts labels a class "stall", which is not in the zone's goodsClasses or personClasses/],
    ['a parking zone\'s model labelling goods', (d) => (d.cameras[0].zones[0].detector = { model: 'carts', everySeconds: 2 }),
      /cameras\[0\]\.zones\[0\]\.detector\.model: zone kerb: model carts labels a class "cart", which is not in the zone's vehicleClasses/],
    ['a period the tracker cannot bridge', (d) => (d.cameras[0].zones[1].detector.everySeconds = 10),
      /cameras\[0\]\.zones\[1\]\.detector\.everySeconds: zone plaza: model carts every 10 s would lose its objects' tracks between runs; keep it below tracking\.maxGapSeconds \(10 s\)/],
    ['a duplicate model id', (d) => d.cameras[0].models.push({ ...d.cameras[0].models[0], path: 'other.onnx' }),
      /cameras\[0\]\.models\[1\]\.id: duplicate model id carts/],
    ['a misspelt key in the zone\'s detector', (d) => (d.cameras[0].zones[1].detector = { model: 'carts', everySecond: 5 }),
      /cameras\[0\]\.zones\[1\]\.detector/],
  ];

  it.each(cases)('refuses %s', (_what, change, expected) => {
    const doc = withZoneModel();
    change(doc);
    expect(loadError(doc)).toMatch(expected);
  });

  it('a longer maxGapSeconds allows a longer period', () => {
    const doc = withZoneModel();
    doc.cameras[0].zones[1].detector.everySeconds = 10;
    doc.tracking = { maxGapSeconds: 15 };
    expect(loadEdgeConfig(writeConfig(doc), {}).cameras[0].zones[1].detector?.everySeconds).toBe(10);
  });
});

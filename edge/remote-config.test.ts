/** Remote configuration: what the centre may change on a running box, and how the box answers. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configReportedMessage, type ConfigReportedMessage } from '../contract/index.js';
import { join } from 'node:path';
import { projectRoot } from '../common/paths.js';
import { edgeConfigSchema, loadEdgeConfig, resolveEdgePaths, type EdgeConfig } from './config.js';
import { mergeDesired, RemoteConfig, RemoteConfigError, runningParts } from './remote-config.js';

const CONFIG_FILE = '/etc/streetwatch/edge.yaml';
const KERB = [[0.8, 0.04], [1.0, 0.04], [1.0, 0.22], [0.8, 0.22]];
const PLAZA = [[0.35, 0.25], [0.85, 0.25], [0.85, 0.6], [0.35, 0.6]];
const NEW_KERB = [[0.7, 0.05], [0.95, 0.05], [0.95, 0.3], [0.7, 0.3]];

/** A running box's config: parsed with defaults and paths resolved, as loadEdgeConfig returns it. */
function current(): EdgeConfig {
  const parsed = edgeConfigSchema.parse({
    device: { id: 'pole-0001' },
    mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'pole-0001', password: 'pw' },
    spool: { dir: 'spool' },
    sensors: { bays: [{ id: 'bay-1', zoneId: 'kerb', cameraId: 'cam-1' }] },
    cameras: [
      {
        id: 'cam-1',
        source: 'clips/north.mp4',
        fps: 10,
        zones: [
          { id: 'kerb', kind: 'no_parking', polygon: KERB, dwellSeconds: 30 },
          { id: 'plaza', kind: 'no_vending', polygon: PLAZA },
        ],
      },
      { id: 'cam-2', source: 'rtsp://cam2.local/stream', zones: [] },
    ],
  });
  return resolveEdgePaths(parsed, CONFIG_FILE);
}

function mergeError(cur: EdgeConfig, desired: Record<string, unknown>): string {
  try {
    mergeDesired(cur, desired);
  } catch (e) {
    expect(e).toBeInstanceOf(RemoteConfigError);
    expect((e as RemoteConfigError).code).toBe('REMOTE_CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error(`mergeDesired accepted ${JSON.stringify(desired)}`);
}

describe('mergeDesired: zone models', () => {
  /** cam-1 with a `stalls` model in its file, as the box started. */
  function withModel(): EdgeConfig {
    const cur = current();
    cur.cameras[0].models = [{ id: 'stalls', path: '/etc/streetwatch/stalls.onnx', format: 'yolov8', classes: { 1: 'stall' } }];
    return cur;
  }
  const plaza = (detector: unknown) => ({
    cameras: [{ id: 'cam-1', zones: [{ id: 'kerb', kind: 'no_parking', polygon: KERB }, { id: 'plaza', kind: 'no_vending', polygon: PLAZA, goodsClasses: ['stall', 'umbrella'], detector }] }],
  });

  it('a zone may start running one of its camera\'s models, and reports it', () => {
    const next = mergeDesired(withModel(), plaza({ model: 'stalls', everySeconds: 4 }), ['person', 'umbrella', 'car', 'truck', 'bus', 'motorcycle']);
    expect(next.cameras[0].zones[1].detector).toEqual({ model: 'stalls', everySeconds: 4 });
    expect(next.cameras[0].models[0].path).toBe('/etc/streetwatch/stalls.onnx');
    expect(configReportedMessage.parse({ v: 1, deviceId: 'pole-0001', version: 1, status: 'applied', at: new Date().toISOString(), running: runningParts(next) }).running?.cameras?.[0].zones[1].detector).toEqual({ model: 'stalls', everySeconds: 4 });
  });

  it('a zone naming a model the box does not have is refused, naming zone and model', () => {
    expect(mergeError(withModel(), plaza({ model: 'carts', everySeconds: 4 }))).toMatch(
      /cameras\[0\]\.zones\[1\]\.detector\.model: zone plaza: unknown model "carts" \(camera cam-1's models: stalls\)/,
    );
  });

  it('the models themselves cannot be changed remotely', () => {
    expect(mergeError(withModel(), { cameras: [{ id: 'cam-1', models: [] }] })).toMatch(/cameras\[0\]\.models: cannot be changed remotely/);
  });
});

describe('mergeDesired', () => {
  it('replaces a camera\'s zones by camera id, leaves everything else as it was', () => {
    const cur = current();
    const snapshot = structuredClone(cur);
    const next = mergeDesired(cur, {
      cameras: [{ id: 'cam-2', zones: [{ id: 'bus-stop', kind: 'no_parking', polygon: NEW_KERB, dwellSeconds: 60 }] }],
    });
    // cam-2 got its zone, with defaults filled.
    expect(next.cameras[1].zones).toEqual([
      {
        id: 'bus-stop', kind: 'no_parking', polygon: NEW_KERB, dwellSeconds: 60, evidenceRepeatSeconds: 60, updateSeconds: 30, leaveGraceSeconds: 5,
        minConfidence: 0.35, vehicleClasses: ['car', 'truck', 'bus', 'motorcycle'], graceSeconds: 0,
      },
    ]);
    // cam-1 and the rest are unchanged, and resolved paths stay resolved.
    expect(next.cameras[0]).toEqual(snapshot.cameras[0]);
    expect(next.cameras[0].source).toBe('/etc/streetwatch/clips/north.mp4');
    expect(next.cameras[1].source).toBe('rtsp://cam2.local/stream');
    expect(next.spool.dir).toBe('/etc/streetwatch/spool');
    expect({ ...next, cameras: undefined }).toEqual({ ...snapshot, cameras: undefined });
    // The running config object is not modified.
    expect(cur).toEqual(snapshot);
  });

  it('a zone list replaces the whole list (a zone left out is removed)', () => {
    const next = mergeDesired(current(), {
      cameras: [{ id: 'cam-1', zones: [{ id: 'kerb', kind: 'no_parking', polygon: NEW_KERB }] }],
    });
    expect(next.cameras[0].zones.map((z) => z.id)).toEqual(['kerb']);
    expect(next.cameras[0].zones[0].polygon).toEqual(NEW_KERB);
    expect(next.cameras[0].zones[0].dwellSeconds).toBe(300); // defaults, not the old zone's 30
  });

  it('changes privacy and telemetry', () => {
    const next = mergeDesired(current(), { privacy: { blurPeople: false }, telemetry: { intervalSeconds: 5 } });
    expect(next.privacy).toEqual({ blurPeople: false, blurPlates: true });
    expect(next.telemetry).toEqual({ intervalSeconds: 5 });
    expect(next.cameras).toEqual(current().cameras);
  });

  it('replaces the exempt plates (the whole list), refusing a bad one naming its path', () => {
    const plates = [{ plate: '苏ED51712', expiresAt: '2027-01-01T00:00:00.000Z', reason: 'ambulance' }];
    const next = mergeDesired(current(), { exemptPlates: plates });
    expect(next.exemptPlates).toEqual(plates);
    expect(mergeDesired(next, { exemptPlates: [] }).exemptPlates).toEqual([]);
    expect(mergeError(current(), { exemptPlates: [{ plate: '苏ED51712', expiresAt: 'tomorrow' }] })).toMatch(/exemptPlates\[0\]\.expiresAt: /);
  });

  it('an empty desired config is the current one', () => {
    expect(mergeDesired(current(), {})).toEqual(current());
  });

  it('refuses an unknown camera', () => {
    expect(mergeError(current(), { cameras: [{ id: 'cam-1', zones: [] }, { id: 'cam-9', zones: [] }] })).toBe(
      'cameras[1].id: no camera cam-9 on this box',
    );
  });

  it('refuses cameras that is not a list', () => {
    expect(mergeError(current(), { cameras: { id: 'cam-1' } })).toBe('cameras: must be a list');
  });

  it.each([
    ['mqtt', { mqtt: { url: 'mqtt://evil.example:1883' } }, /^mqtt: cannot be changed remotely/],
    ['device', { device: { id: 'pole-0002' } }, /^device: cannot be changed remotely/],
    ['model', { model: { path: '/tmp/x.onnx' } }, /^model: cannot be changed remotely/],
    ['spool', { spool: { dir: '/' } }, /^spool: cannot be changed remotely/],
    ['sensors', { sensors: { bays: [] } }, /^sensors: cannot be changed remotely/],
    ['cameras[0].source', { cameras: [{ id: 'cam-1', source: 'rtsp://elsewhere/stream' }] }, /^cameras\[0\]\.source: cannot be changed remotely/],
    ['cameras[1].fps', { cameras: [{ id: 'cam-1', zones: [] }, { id: 'cam-2', fps: 30 }] }, /^cameras\[1\]\.fps: cannot be changed remotely/],
  ])('refuses a non-live key (%s), naming its path', (_what, desired, expected) => {
    const cur = current();
    expect(mergeError(cur, desired)).toMatch(expected);
    expect(cur).toEqual(current());
  });

  it('refuses an invalid polygon naming cameras[0].zones[0].polygon', () => {
    const msg = mergeError(current(), {
      cameras: [{ id: 'cam-1', zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0, 0], [1, 1], [1, 0], [0, 1]] }] }],
    });
    expect(msg).toMatch(/^invalid config:\n/);
    expect(msg).toMatch(/cameras\[0\]\.zones\[0\]\.polygon: polygon edges 0 and 2 cross each other/);
  });

  it('refuses a zone change that would leave a sensor bay without its zone', () => {
    const msg = mergeError(current(), { cameras: [{ id: 'cam-1', zones: [{ id: 'plaza', kind: 'no_vending', polygon: PLAZA }] }] });
    expect(msg).toMatch(/sensors\.bays\[0\]\.zoneId: camera cam-1 has no no_parking zone kerb/);
  });

  it('refuses an invalid telemetry interval naming its path', () => {
    expect(mergeError(current(), { telemetry: { intervalSeconds: -5 } })).toMatch(/telemetry\.intervalSeconds: /);
  });
});

describe('RemoteConfig.handle', () => {
  const ISSUED = '2026-11-26T08:00:00.000Z';
  const desired = (version: number, config: Record<string, unknown>) => Buffer.from(JSON.stringify({ v: 1, version, issuedAt: ISSUED, config }));

  function setup(opts: { applyThrows?: boolean } = {}) {
    const reports: ConfigReportedMessage[] = [];
    const applied: EdgeConfig[] = [];
    const remote = new RemoteConfig(current(), {
      deviceId: 'pole-0001',
      report: (m) => reports.push(configReportedMessage.parse(m)),
      apply: (next) => {
        if (opts.applyThrows) throw new Error('camera pipeline refused the zones');
        applied.push(next);
      },
      logger: pino({ level: 'silent' }),
    });
    return { remote, reports, applied };
  }

  it('applies a valid desired config and reports applied with its version', () => {
    const { remote, reports, applied } = setup();
    const before = Date.now();
    remote.handle(desired(3, { telemetry: { intervalSeconds: 10 } }));
    expect(applied).toHaveLength(1);
    expect(applied[0].telemetry.intervalSeconds).toBe(10);
    expect(remote.appliedVersion).toBe(3);
    expect(reports).toEqual([{ v: 1, deviceId: 'pole-0001', version: 3, status: 'applied', at: expect.any(String), running: expect.any(Object) }]);
    // The report says what now runs: the zones the console's editor starts from, and the new telemetry.
    expect(reports[0].running).toEqual({
      cameras: current().cameras.map((c) => ({ id: c.id, zones: c.zones })),
      privacy: current().privacy,
      telemetry: { intervalSeconds: 10 },
    });
    expect(Date.parse(reports[0].at)).toBeGreaterThanOrEqual(before);
    expect(reports[0]).not.toHaveProperty('error');
  });

  it('applies exempt plates sent in config.exemptPlates live', () => {
    const { remote, reports, applied } = setup();
    remote.handle(desired(4, { exemptPlates: [{ plate: '京A12345', reason: 'police' }] }));
    expect(reports.map((r) => [r.version, r.status])).toEqual([[4, 'applied']]);
    expect(applied).toHaveLength(1);
    expect(applied[0].exemptPlates).toEqual([{ plate: '京A12345', reason: 'police' }]);
  });

  it('reports the running zones at start-up, version 0 until a desired config is applied', () => {
    const { remote, reports } = setup();
    remote.reportRunning();
    expect(reports).toEqual([expect.objectContaining({ version: 0, status: 'applied', running: expect.objectContaining({ cameras: current().cameras.map((c) => ({ id: c.id, zones: c.zones })) }) })]);
  });

  it('successive versions build on each other', () => {
    const { remote, applied } = setup();
    remote.handle(desired(1, { telemetry: { intervalSeconds: 10 } }));
    remote.handle(desired(2, { privacy: { blurPeople: false } }));
    expect(applied).toHaveLength(2);
    expect(applied[1].telemetry.intervalSeconds).toBe(10);
    expect(applied[1].privacy.blurPeople).toBe(false);
  });

  it('bad JSON → rejected with the reason, reporting the version still applied', () => {
    const { remote, reports, applied } = setup();
    remote.handle(desired(1, { telemetry: { intervalSeconds: 10 } }));
    remote.handle(Buffer.from('{"v":1,"version":2,'));
    expect(applied).toHaveLength(1);
    expect(reports[1]).toMatchObject({ status: 'rejected', version: 1 });
    expect(reports[1].error).toMatch(/^config\/desired refused: not JSON \(/);
    expect(remote.appliedVersion).toBe(1);
  });

  it('a desired config nested beyond the contract (a hostile broker) → rejected naming the depth, without throwing', () => {
    const { remote, reports, applied } = setup();
    const zones = `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`;
    expect(() => remote.handle(Buffer.from(`{"v":1,"version":1,"issuedAt":"${ISSUED}","config":{"cameras":[{"id":"cam-1","zones":[${zones}]}]}}`))).not.toThrow();
    expect(applied).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ status: 'rejected', version: 0, error: expect.stringMatching(/^config\/desired refused: JSON nested deeper than 32 levels/) })]);
  });

  it.each([
    ['no version', { v: 1, issuedAt: ISSUED, config: {} }, /version: /],
    ['version 0', { v: 1, version: 0, issuedAt: ISSUED, config: {} }, /version: /],
    ['a wrong contract version', { v: 2, version: 1, issuedAt: ISSUED, config: {} }, /v: /],
    ['config not an object', { v: 1, version: 1, issuedAt: ISSUED, config: [1, 2] }, /config: /],
    ['a bad issuedAt', { v: 1, version: 1, issuedAt: 'yesterday', config: {} }, /issuedAt: must be ISO 8601/],
  ])('a schema-invalid message (%s) → rejected naming the field', (_what, body, expected) => {
    const { remote, reports, applied } = setup();
    remote.handle(Buffer.from(JSON.stringify(body)));
    expect(applied).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: 'rejected', version: 0 });
    expect(reports[0].error).toMatch(/^config\/desired is invalid:\n/);
    expect(reports[0].error).toMatch(expected);
  });

  it('an invalid config → rejected with the reason and the old config kept', () => {
    const { remote, reports, applied } = setup();
    remote.handle(desired(1, { telemetry: { intervalSeconds: 10 } }));
    remote.handle(desired(2, { cameras: [{ id: 'cam-1', zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0, 0], [1, 1]] }] }] }));
    remote.handle(desired(3, { mqtt: { url: 'mqtt://evil:1883' } }));
    expect(applied).toHaveLength(1);
    expect(reports.map((r) => `${r.status}:${r.version}`)).toEqual(['applied:1', 'rejected:2', 'rejected:3']);
    expect(reports[1].error).toMatch(/cameras\[0\]\.zones\[0\]\.polygon: a polygon needs at least 3 points/);
    expect(reports[2].error).toMatch(/^mqtt: cannot be changed remotely/);
    expect(remote.appliedVersion).toBe(1);

    // The next good version is laid over the kept config: v1's change is there, v2's zones are not.
    remote.handle(desired(4, { privacy: { blurPeople: false } }));
    expect(applied).toHaveLength(2);
    expect(applied[1].telemetry.intervalSeconds).toBe(10);
    expect(applied[1].cameras[0].zones.map((z) => z.id)).toEqual(['kerb', 'plaza']);
    expect(applied[1].cameras[0].zones[0].polygon).toEqual(KERB);
    expect(reports.at(-1)).toMatchObject({ status: 'applied', version: 4 });
  });

  it('a failure applying → rejected, the version and config stay as they were', () => {
    const { remote, reports } = setup({ applyThrows: true });
    remote.handle(desired(1, { telemetry: { intervalSeconds: 10 } }));
    expect(reports).toEqual([expect.objectContaining({ status: 'rejected', version: 1, error: 'camera pipeline refused the zones' })]);
    expect(remote.appliedVersion).toBe(0);
  });

  it('ignores an older or equal version and re-reports the applied one', () => {
    const { remote, reports, applied } = setup();
    remote.handle(desired(5, { telemetry: { intervalSeconds: 10 } }));
    // The retained copy seen again after a reconnect, then a stale one.
    remote.handle(desired(5, { telemetry: { intervalSeconds: 10 } }));
    remote.handle(desired(4, { telemetry: { intervalSeconds: 99 } }));
    // Even an invalid config with an old version is not looked at.
    remote.handle(desired(2, { mqtt: {} }));
    expect(applied).toHaveLength(1);
    expect(reports.map((r) => `${r.status}:${r.version}`)).toEqual(['applied:5', 'applied:5', 'applied:5', 'applied:5']);
    for (const r of reports) expect(r).not.toHaveProperty('error');
    expect(remote.appliedVersion).toBe(5);
  });
});

describe('mergeDesired and the model classes', () => {
  it('refuses a zone naming a class the model does not know', () => {
    const cfg = loadEdgeConfig(join(projectRoot, 'examples', 'edge-vtest.yaml'));
    const zones = [{ id: 'kerb', kind: 'no_parking', polygon: [[0.8, 0.04], [1, 0.04], [1, 0.22]], vehicleClasses: ['tank'] }];
    expect(() => mergeDesired(cfg, { cameras: [{ id: 'cam-1', zones }] }, ['person', 'car'])).toThrow(/cameras\[0\]\.zones\[0\]\.vehicleClasses\[0\]: unknown class "tank"/);
    expect(mergeDesired(cfg, { cameras: [{ id: 'cam-1', zones }] }).cameras[0].zones[0].id).toBe('kerb');
  });
});

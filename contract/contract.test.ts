import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { projectRoot } from '../common/paths.js';
import { EdgePublisher, type OutMessage } from '../edge/adapters/outbox.js';
import { renderAsyncApi } from './asyncapi.js';
import {
  configDesiredMessage, configReportedMessage, DELIVERY, detectionMessage, edgeClientId, instantsAhead, isoTime, MAX_CLOCK_AHEAD_MS, MAX_JSON_BYTES,
  MAX_JSON_DEPTH, modelDesiredMessage, modelReportedMessage, parseJsonPayload, parseTopic, readDeviceMessage, telemetryMessage, tooDeepAt, topics,
  type DetectionMessage,
} from './index.js';

const root = 'streetwatch/v1';

describe('topics', () => {
  it('parses every topic it builds', () => {
    expect(parseTopic(root, topics.status(root, 'pole-1'))).toEqual({ kind: 'status', deviceId: 'pole-1' });
    expect(parseTopic(root, topics.telemetry(root, 'pole-1'))).toEqual({ kind: 'telemetry', deviceId: 'pole-1' });
    expect(parseTopic(root, topics.detections(root, 'pole-1', 'cam-1'))).toEqual({ kind: 'detections', deviceId: 'pole-1', cameraId: 'cam-1' });
    expect(parseTopic(root, topics.evidence(root, 'pole-1', 'cam-1', '01JABCDEFGHJKMNPQRSTVWXYZ0'))).toEqual({
      kind: 'evidence', deviceId: 'pole-1', cameraId: 'cam-1', evidenceId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
    });
    expect(parseTopic(root, topics.sensor(root, 'pole-1', 'bay-3'))).toEqual({ kind: 'sensors', deviceId: 'pole-1', sensorId: 'bay-3' });
    expect(parseTopic(root, topics.configDesired(root, 'pole-1'))?.kind).toBe('config_desired');
    expect(parseTopic(root, topics.configReported(root, 'pole-1'))?.kind).toBe('config_reported');
    expect(parseTopic(root, topics.modelDesired(root, 'pole-1'))).toEqual({ kind: 'model_desired', deviceId: 'pole-1' });
    expect(parseTopic(root, topics.modelReported(root, 'pole-1'))).toEqual({ kind: 'model_reported', deviceId: 'pole-1' });
    // A camera called `model` still has its own detections topic.
    expect(parseTopic(root, topics.detections(root, 'pole-1', 'model'))).toEqual({ kind: 'detections', deviceId: 'pole-1', cameraId: 'model' });
  });

  it('rejects topics outside the layout', () => {
    expect(parseTopic(root, 'other/pole-1/status')).toBeNull();
    expect(parseTopic(root, `${root}/pole-1/unknown`)).toBeNull();
    expect(parseTopic(root, `${root}/pole 1/status`)).toBeNull();
    expect(parseTopic(root, `${root}/pole-1/cam-1/evidence`)).toBeNull();
    expect(parseTopic(root, `${root}/pole-1/a/b/c/d`)).toBeNull();
  });
});

describe('detection schema', () => {
  const base: DetectionMessage = {
    v: 1, eventId: '01JD0000000000000000000000', seq: 0, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb',
    type: 'illegal_parking', state: 'started', label: 'car', confidence: 0.8, bbox: { x1: 0.8, y1: 0.1, x2: 0.9, y2: 0.2 },
    firstSeenAt: '2026-11-26T08:00:00.000Z', discoveredAt: '2026-11-26T08:00:30.000Z', sentAt: '2026-11-26T08:00:30.000Z', evidence: [],
  };

  it('accepts a valid started message', () => {
    expect(detectionMessage.safeParse(base).success).toBe(true);
  });

  it('names the field that is wrong', () => {
    const r = detectionMessage.safeParse({ ...base, discoveredAt: '2026-11-26 08:00' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['discoveredAt']);
    const ended = detectionMessage.safeParse({ ...base, state: 'ended', seq: 3 });
    expect(ended.error?.issues.map((i) => i.message)).toContain('an ended detection needs endedAt and reason');
    expect(detectionMessage.safeParse({ ...base, bbox: { x1: 1.2, y1: 0, x2: 1, y2: 1 } }).success).toBe(false);
  });
});

describe('isoTime', () => {
  const problem = (s: string) => isoTime.safeParse(s).error?.issues.map((i) => i.message);

  it.each(['2026-13-01T00:00:00.000Z', '2026-02-30T00:00:00.000Z', '2026-01-01T25:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-04-31T12:00:00.000Z'])(
    'refuses %s, which is no real instant',
    (s) => expect(problem(s)).toEqual([`${s} is no real date and time (a month 13, 30 February, hour 25?)`]),
  );

  it('refuses instants before 2000 (a box clock that fell back to 1970) but not old ones a spool replays', () => {
    expect(problem('1970-01-01T00:00:12.000Z')).toEqual(['1970-01-01T00:00:12.000Z is before 2000-01-01T00:00:00.000Z']);
    expect(problem('1999-12-31T23:59:59.999Z')).toHaveLength(1);
    expect(isoTime.safeParse('2000-01-01T00:00:00.000Z').success).toBe(true);
    expect(isoTime.safeParse('2024-02-29T23:59:59.999Z').success).toBe(true);
  });

  it('gives one reason for a string of another shape', () => {
    expect(problem('2026-11-26 08:00')).toEqual(['must be ISO 8601 UTC with milliseconds (…T08:41:12.345Z)']);
    expect(problem('+010000-01-01T00:39:59.999Z')).toHaveLength(1);
  });

  it('names the field of a detection whose discovery never happened', () => {
    const r = detectionMessage.safeParse({
      v: 1, eventId: '01JD0000000000000000000000', seq: 0, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking', state: 'started',
      label: 'car', confidence: 0.8, bbox: null, firstSeenAt: '2026-11-26T08:00:00.000Z', discoveredAt: '2026-13-01T00:00:00.000Z', sentAt: '2026-11-26T08:00:30.000Z', evidence: [],
    });
    expect(r.error?.issues.map((i) => i.path)).toEqual([['discoveredAt']]);
  });
});

describe('instants ahead of the receiving clock', () => {
  const received = new Date('2026-11-26T08:00:00.000Z');

  it('finds every instant more than MAX_CLOCK_AHEAD_MS ahead, by path', () => {
    const limit = new Date(received.getTime() + MAX_CLOCK_AHEAD_MS).toISOString();
    const msg = { at: limit, cameras: [{ lastFrameAt: null }, { lastFrameAt: '2026-11-26T09:00:00.000Z' }], note: 'at 2030-01-01T00:00:00.000Z' };
    const found = instantsAhead({ ...msg, sentAt: '9999-12-31T23:59:59.999Z' }, received);
    expect(found.map((i) => i.path)).toEqual([['cameras', 1, 'lastFrameAt'], ['sentAt']]);
    expect(found[0].message).toBe("2026-11-26T09:00:00.000Z is 60 min ahead of the centre's clock (received 2026-11-26T08:00:00.000Z; at most 5 min allowed): is the box's clock right?");
    expect(found[1].message).toMatch(/^9999-12-31T23:59:59\.999Z is \d+ days ahead/);
  });

  it('refuses a telemetry reading from the future, naming `at`, and keeps one from the past', () => {
    const reading = (at: string) => Buffer.from(JSON.stringify({
      v: 1, deviceId: 'pole-1', at, cameras: [],
      system: { cpuPercent: 1, rssMb: 1, memFreeMb: 1, diskFreeMb: 1, loadAvg1: 0, uptimeSeconds: 1 }, spool: { messages: 0, bytes: 0, dropped: 0 },
    }));
    expect(readDeviceMessage(reading('2026-11-26T09:00:00.000Z'), telemetryMessage, received)).toEqual({
      ok: false, problem: 'invalid', reason: expect.stringMatching(/^at: 2026-11-26T09:00:00\.000Z is 60 min ahead/),
    });
    expect(readDeviceMessage(reading('2026-11-20T08:00:00.000Z'), telemetryMessage, received)).toMatchObject({ ok: true, value: { at: '2026-11-20T08:00:00.000Z' } });
  });
});

describe('JSON payload bounds', () => {
  const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

  it(`reads nesting of ${MAX_JSON_DEPTH} levels and refuses one more before JSON.parse sees it`, () => {
    expect(parseJsonPayload(Buffer.from(nested(MAX_JSON_DEPTH))).ok).toBe(true);
    const deeper = nested(MAX_JSON_DEPTH + 1);
    expect(parseJsonPayload(Buffer.from(deeper))).toEqual({ ok: false, problem: 'too_deep', reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels (character ${deeper.lastIndexOf('{')})` });
  });

  it('refuses a 40,000-level zone (240 KB) without overflowing the stack', () => {
    const deep = Buffer.from(`{"v":1,"zones":[${'['.repeat(40_000)}${']'.repeat(40_000)}]}`);
    expect(parseJsonPayload(deep)).toMatchObject({ ok: false, problem: 'too_deep' });
  });

  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(tooDeepAt('{"a":"[[[[\\"[[[["}', 2)).toBe(-1);
    expect(tooDeepAt('{"a\\"":[[1]]}', 2)).toBe(8);
    expect(parseJsonPayload(Buffer.from(JSON.stringify({ text: '{'.repeat(100) })))).toEqual({ ok: true, value: { text: '{'.repeat(100) } });
  });

  it('refuses what is too large, not UTF-8 or not JSON, saying which', () => {
    expect(parseJsonPayload(Buffer.alloc(MAX_JSON_BYTES + 1, 0x20))).toMatchObject({ ok: false, problem: 'too_large', reason: `${MAX_JSON_BYTES + 1} bytes, above the limit of ${MAX_JSON_BYTES}` });
    expect(parseJsonPayload(Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, problem: 'not_json', reason: expect.stringMatching(/^not UTF-8/) });
    expect(parseJsonPayload(Buffer.from('{"v":1,'))).toMatchObject({ ok: false, problem: 'not_json', reason: expect.stringMatching(/^not JSON \(/) });
  });
});

describe('config schemas', () => {
  const zone = { id: 'kerb', kind: 'no_parking', polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]] };
  const report = (zones: unknown[]) => ({ v: 1, deviceId: 'pole-1', version: 0, status: 'applied', at: '2026-11-26T08:00:00.000Z', running: { cameras: [{ id: 'cam-1', zones }] } });

  it('reports zones of the contract shape only', () => {
    expect(configReportedMessage.safeParse(report([zone])).success).toBe(true);
    const nestedZone = { ...zone, polygon: { a: { b: { c: {} } } } };
    expect(configReportedMessage.safeParse(report([nestedZone])).error?.issues[0].path).toEqual(['running', 'cameras', 0, 'zones', 0, 'polygon']);
    expect(configReportedMessage.safeParse(report([{ ...zone, colour: 'red' }])).error?.issues[0].message).toMatch(/colour/);
  });

  it('lets a desired config carry keys the box refuses by name, but checks the ones it applies', () => {
    const desired = (config: unknown) => configDesiredMessage.safeParse({ v: 1, version: 2, issuedAt: '2026-11-26T08:00:00.000Z', config });
    expect(desired({ mqtt: { url: 'mqtt://elsewhere' }, cameras: [{ id: 'cam-1', source: 'rtsp://x', zones: [zone] }] }).data?.config).toMatchObject({ mqtt: {}, cameras: [{ source: 'rtsp://x' }] });
    expect(desired({ cameras: [{ id: 'cam-1', zones: [{ ...zone, dwellSeconds: -1 }] }] }).error?.issues[0].path).toEqual(['config', 'cameras', 0, 'zones', 0, 'dwellSeconds']);
    expect(desired({ telemetry: { intervalSeconds: 'often' } }).error?.issues[0].path).toEqual(['config', 'telemetry', 'intervalSeconds']);
    expect(desired({ privacy: { blurPeople: 'no' } }).error?.issues[0].path).toEqual(['config', 'privacy', 'blurPeople']);
  });
});

describe('model update schemas', () => {
  const SHA = 'ab'.repeat(32);
  const desired = { v: 1, version: 3, issuedAt: '2026-11-26T08:00:00.000Z', model: { name: 'yolox_nano', version: '2026.11', sha256: SHA, size: 3660092, url: 'https://centre.example/models/x.onnx?exp=1&sig=2' } };
  const reported = { v: 1, deviceId: 'pole-1', version: 3, status: 'rolled_back', model: { name: 'yolox_nano', version: '0.1.1rc0', sha256: SHA }, at: '2026-11-26T08:01:00.000Z', error: 'failed after the switch' };

  it('accepts an announcement and a report', () => {
    expect(modelDesiredMessage.safeParse(desired).success).toBe(true);
    expect(modelReportedMessage.safeParse(reported).success).toBe(true);
    expect(modelReportedMessage.safeParse({ ...reported, version: 0, status: 'applied', error: undefined }).success).toBe(true);
  });

  it.each([
    ['a file: URL', { ...desired, model: { ...desired.model, url: 'file:///etc/passwd' } }, 'model.url'],
    ['an upper-case sha256', { ...desired, model: { ...desired.model, sha256: SHA.toUpperCase() } }, 'model.sha256'],
    ['a manifest name with a slash', { ...desired, model: { ...desired.model, name: '../yolox' } }, 'model.name'],
    ['version 0', { ...desired, version: 0 }, 'version'],
    ['no size', { ...desired, model: { ...desired.model, size: undefined } }, 'model.size'],
  ])('refuses an announcement with %s', (_what, msg, path) => {
    expect(modelDesiredMessage.safeParse(msg).error?.issues[0].path.join('.')).toBe(path);
  });

  it('refuses a report with an unknown status', () => {
    expect(modelReportedMessage.safeParse({ ...reported, status: 'testing' }).error?.issues[0].path).toEqual(['status']);
  });
});

describe('AsyncAPI document', () => {
  it('is the one generated from the schemas (run `npm run contract:asyncapi` after changing them)', () => {
    const committed = readFileSync(join(projectRoot, 'contract', 'asyncapi.yaml'), 'utf8');
    expect(committed).toBe(renderAsyncApi());
    const doc = YAML.parse(committed);
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.components.messages)).toEqual(
      expect.arrayContaining(['Detection', 'Status', 'Telemetry', 'EvidencePhoto', 'SensorReading', 'ConfigDesired', 'ConfigReported', 'ModelDesired', 'ModelReported', 'TeamOrder']),
    );
    // The team's notice carries the whole work order, from the same schema the centre stores it by.
    expect(doc.components.schemas.TeamOrder.properties.order).toEqual({ $ref: '#/components/schemas/WorkOrder' });
    expect(doc.components.schemas.Detection.required).toEqual(expect.arrayContaining(['eventId', 'discoveredAt', 'evidence']));
  });
});

describe('MQTT bindings of the AsyncAPI document', () => {
  const doc = YAML.parse(renderAsyncApi());
  const channels: Record<string, { address: string }> = doc.channels;
  const operations: Record<string, { channel: { $ref: string }; bindings: { mqtt: unknown } }> = doc.operations;
  /** Names of the channels whose address a topic under `root` matches (`{id}`: one level). */
  const channelsOf = (topic: string) =>
    Object.keys(channels).filter((name) => new RegExp(`^${channels[name].address.replace('{root}', root).replace(/\{\w+\}/g, '[^/]+')}$`).test(topic));
  const bindingOf = (channel: string) => Object.values(operations).find((o) => o.channel.$ref === `#/channels/${channel}`)?.bindings.mqtt;

  it('pins the delivery table to the MQTT contract the README documents', () => {
    // Every box and the centre publish by this table: changing a line changes what they do.
    expect(DELIVERY).toEqual({
      status: { qos: 1, retain: true },
      telemetry: { qos: 0, retain: false },
      detections: { qos: 1, retain: false },
      evidence: { qos: 1, retain: false },
      sensor: { qos: 1, retain: false },
      configDesired: { qos: 1, retain: true },
      configReported: { qos: 1, retain: true },
      modelDesired: { qos: 1, retain: true },
      modelReported: { qos: 1, retain: true },
      teamOrders: { qos: 1, retain: false },
    });
  });

  it('gives every topic of the layout one channel, published with its QoS and retain flag', () => {
    for (const [name, delivery] of Object.entries(DELIVERY)) {
      const topic = (topics[name as keyof typeof topics] as (...parts: string[]) => string)(root, 'pole-1', 'cam-1', '01JD0000000000000000000000');
      expect(channelsOf(topic), topic).toHaveLength(1);
      expect(bindingOf(channelsOf(topic)[0]), topic).toEqual({ ...delivery, bindingVersion: '0.2.0' });
    }
  });

  it('states what the box publishes, as it publishes it', () => {
    const sent: OutMessage[] = [];
    const box = new EdgePublisher({ send: (msg) => sent.push(msg) }, root, 'pole-1');
    const at = '2026-11-26T08:00:00.000Z';
    box.status({ v: 1, deviceId: 'pole-1', state: 'online', at });
    box.telemetry({
      v: 1, deviceId: 'pole-1', at, cameras: [],
      system: { cpuPercent: 1, rssMb: 1, memFreeMb: 1, diskFreeMb: 1, loadAvg1: 0, uptimeSeconds: 1 }, spool: { messages: 0, bytes: 0, dropped: 0 },
    });
    box.detection({
      v: 1, eventId: '01JD0000000000000000000000', seq: 0, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking', state: 'started',
      label: 'car', confidence: 0.8, bbox: null, firstSeenAt: at, discoveredAt: at, sentAt: at, evidence: [],
    });
    box.evidence('cam-1', '01JD0000000000000000000000', Buffer.from([0xff, 0xd8, 0xff]));
    box.sensor({ v: 1, deviceId: 'pole-1', sensorId: 'bay-3', occupied: true, at, since: at });
    box.configReported({ v: 1, deviceId: 'pole-1', version: 0, status: 'applied', at });
    box.modelReported({ v: 1, deviceId: 'pole-1', version: 0, status: 'applied', model: { name: 'yolox_nano', version: '1', sha256: 'ab'.repeat(32) }, at });
    const channelsSent = sent.map((msg) => {
      const [channel] = channelsOf(msg.topic);
      expect(bindingOf(channel), msg.topic).toEqual({ qos: msg.qos, retain: msg.retain, bindingVersion: '0.2.0' });
      return channel;
    });
    // Every channel the document says the box publishes on was looked at.
    expect(channelsSent.sort()).toEqual(Object.keys(operations).filter((op) => op.startsWith('publish_')).map((op) => op.slice('publish_'.length)).sort());
  });

  it('describes the box\'s connection: its client id, a clean session and its offline status as Last Will, behind a password', () => {
    for (const server of Object.values<{ bindings: { mqtt: Record<string, unknown> }; security: unknown }>(doc.servers)) {
      expect(server.bindings.mqtt).toEqual({
        clientId: edgeClientId('{deviceId}'),
        cleanSession: true,
        lastWill: { topic: channels.status.address, qos: 1, retain: true, message: expect.stringContaining('`offline`') },
        bindingVersion: '0.2.0',
      });
      expect(server.security).toEqual([{ $ref: '#/components/securitySchemes/deviceLogin' }]);
    }
    expect(Object.values<{ protocol: string }>(doc.servers).map((s) => s.protocol)).toEqual(['mqtt', 'secure-mqtt']);
    expect(doc.components.securitySchemes.deviceLogin.type).toBe('userPassword');
  });
});

describe('what the console takes from the contract', () => {
  /** `[statement, module]` of every import (side-effect ones too) and re-export in a source file. */
  const importsOf = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/^(?:import\b[^;]*?|export\b[^;'"]*?\bfrom\s*)['"]([^'"]+)['"]/gm)].map((m) => [m[0], m[1]] as const);
  const sources = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts')).map((f) => join(dir, f));
  const contractDir = join(projectRoot, 'contract');
  // The generator and its writer run in Node only; nothing else may reach beyond zod.
  const generators = new Set(['asyncapi.ts', 'write-asyncapi.ts']);

  it('is modules that import only zod and each other, so the browser typecheck sees no Node module', () => {
    const outside = sources(contractDir)
      .filter((f) => !generators.has(relative(contractDir, f)))
      .flatMap((f) => importsOf(f).filter(([, from]) => from !== 'zod' && !/^\.\/[\w-]+\.js$/.test(from)).map(([, from]) => `${relative(projectRoot, f)}: ${from}`));
    expect(outside).toEqual([]);
  });

  it('is types only: the imports are erased and the bundle holds neither zod nor a schema', () => {
    const consoleSrc = join(projectRoot, 'console', 'src');
    const valueImports = sources(consoleSrc).flatMap((f) =>
      importsOf(f).filter(([statement, from]) => from.includes('/contract/') && !/^(import|export) type\b/.test(statement)).map(([statement]) => `${relative(projectRoot, f)}: ${statement}`),
    );
    expect(valueImports).toEqual([]);
    // The check above must be looking at something.
    expect(importsOf(join(consoleSrc, 'api-types.ts')).some(([, from]) => from.includes('/contract/'))).toBe(true);
  });
});

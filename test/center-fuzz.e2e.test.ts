/**
 * A hostile device against a real `streetwatch center` (embedded broker, all roles): seeded
 * rounds of the message classes an adversarial run found holes with, interleaved with an honest
 * device's valid detections. Whatever the hostile device sends, the centre stays up, every refused
 * message leaves exactly one dead letter with a reason, every valid detection becomes an order,
 * and nothing of the honest device's is touched.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { topics, type DetectionMessage } from '../contract/index.js';
import { DeadLetterStore } from '../center/ingest/dead-letters.js';
import { DeviceStateStore } from '../center/ingest/device-state.js';
import { deleteKeys, detection, evidenceRef, fakeJpeg, json, status, telemetry } from '../center/ingest/test-fixtures.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { tempDir } from './fixtures.js';
import { addDevice } from './helpers/kerb-box.js';
import { AS_IN_CENTER_IMAGE, freePort, runCli, waitFor, type Cli } from './helpers/processes.js';
import { seededRandom } from './helpers/seeded-random.js';

const ROOT = 'streetwatch/v1';
const SEED = 1104;
const ROUNDS = 100;
const HOSTILE = 'pole-hostile';
const HONEST = 'pole-honest';

/** A JSON text nested `depth` levels deep, built as text (JSON.stringify itself would overflow). */
const deeplyNested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

interface Hostile {
  what: string;
  topic: string;
  payload: Buffer;
}

describe('a hostile device against a real centre (seeded fuzz)', () => {
  const prefix = `{swfuzz-${randomBytes(4).toString('hex')}}`;
  const dir = tempDir('sw-fuzz-');
  const redis = new Redis();
  let center: Cli;
  let api: string;
  let hostile: MqttClient;
  let honest: MqttClient;
  let connect: (id: string, over?: { clientId?: string; reconnectPeriod?: number }) => Promise<MqttClient>;

  beforeAll(async () => {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const creds = new Map([HOSTILE, HONEST].map((id) => [id, addDevice(prefix, id)]));
    center = runCli(['center', '--demo', '--config', join(projectRoot, 'examples', 'center.yaml'), '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', join(dir, 'data')], {
      STREETWATCH_REDIS_PREFIX: prefix, LOG_LEVEL: 'error', ...AS_IN_CENTER_IMAGE,
    });
    api = `http://127.0.0.1:${httpPort}`;
    await waitFor(async () => (await fetch(`${api}/healthz`).catch(() => null))?.ok, `centre health (${center.output()})`, 30_000);
    connect = (id, over = {}) =>
      connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4, clientId: `${id}-box`, username: creds.get(id)!.username, password: creds.get(id)!.password, reconnectPeriod: 200, ...over });
    hostile = await connect(HOSTILE);
    honest = await connect(HONEST);
  }, 60_000);

  afterAll(async () => {
    hostile?.end(true);
    honest?.end(true);
    await center?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('stays up; one dead letter per refused message; every valid detection an order; the honest device untouched', async () => {
    const rand = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const now = Date.now();
    // The honest device's photo, which the hostile one will try to use as its own.
    const honestPhoto = fakeJpeg(5000);
    const honestRef = evidenceRef(honestPhoto);
    await honest.publishAsync(topics.evidence(ROOT, HONEST, 'cam-1', honestRef.evidenceId), honestPhoto, { qos: 1 });
    await honest.publishAsync(topics.status(ROOT, HONEST), json(status(HONEST)), { qos: 1, retain: true });

    const hostileDetection = (over: Partial<DetectionMessage> = {}) => detection(HOSTILE, 'cam-1', { zoneId: `h-${ulid()}`, ...over });
    const detTopic = topics.detections(ROOT, HOSTILE, 'cam-1');
    const classes: (() => Hostile)[] = [
      () => ({ what: 'not JSON', topic: detTopic, payload: randomBytes(1 + Math.floor(rand() * 200)) }),
      () => ({ what: 'schema', topic: detTopic, payload: json({ ...hostileDetection(), [pick(['confidence', 'bbox', 'seq', 'state', 'eventId'])]: pick([-1, 'x', null, 1e308, {}]) }) }),
      () => ({ what: 'deep config report', topic: topics.configReported(ROOT, HOSTILE), payload: Buffer.from(`{"v":1,"deviceId":"${HOSTILE}","status":"applied","version":1,"at":"${new Date().toISOString()}","running":{"cameras":[{"id":"cam-1","zones":[${deeplyNested(40_000)}]}]}}`) }),
      () => ({ what: 'deep detection', topic: detTopic, payload: Buffer.from(`{"v":1,"x":${deeplyNested(5_000 + Math.floor(rand() * 20_000))}}`) }),
      () => ({ what: "another device's photo", topic: detTopic, payload: json(hostileDetection({ evidence: [honestRef] })) }),
      () => ({ what: 'a hundred missing photos', topic: detTopic, payload: json(hostileDetection({ evidence: Array.from({ length: 100 }, () => evidenceRef(fakeJpeg(64))) })) }),
      () => ({ what: 'bogus sub-topic', topic: `${ROOT}/${HOSTILE}/${Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(['x', 'cam-1', 'detections', 'status', 'evidence'])).join('/')}/zz`, payload: json(hostileDetection()) }),
      () => ({ what: 'impossible date', topic: detTopic, payload: json(hostileDetection({ discoveredAt: pick(['2026-13-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2026-02-30T10:00:00.000Z', '1900-01-01T00:00:00.000Z']) })) }),
      () => ({ what: 'impossible telemetry time', topic: topics.telemetry(ROOT, HOSTILE), payload: json(telemetry(HOSTILE, { at: '9999-12-31T23:59:59.999Z' })) }),
      () => ({ what: "posing as the honest device", topic: topics.status(ROOT, HOSTILE), payload: json(status(HONEST, 'offline')) }),
      () => ({ what: 'oversized JSON', topic: detTopic, payload: json(hostileDetection({ label: 'x'.repeat(300_000) })) }),
    ];

    const refused: Hostile[] = [];
    const valid: DetectionMessage[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const m = pick(classes)();
      refused.push(m);
      await hostile.publishAsync(m.topic, m.payload, { qos: 1 });
      if (rand() < 0.5) {
        const photo = fakeJpeg(2000);
        const ref = evidenceRef(photo);
        const d = detection(HONEST, 'cam-1', { zoneId: `z-${round}`, evidence: [ref], discoveredAt: new Date(now - 1000).toISOString() });
        await honest.publishAsync(topics.evidence(ROOT, HONEST, 'cam-1', ref.evidenceId), photo, { qos: 1 });
        await honest.publishAsync(topics.detections(ROOT, HONEST, 'cam-1'), json(d), { qos: 1 });
        valid.push(d);
      }
    }
    expect(new Set(refused.map((r) => r.what)).size).toBeGreaterThanOrEqual(8); // the seed covers most classes

    const deadLetters = new DeadLetterStore(redis, prefix);
    const orders = new RedisWorkOrderStore(redis, prefix);
    await waitFor(async () => (await deadLetters.count()) >= refused.length, `${refused.length} dead letters (${await deadLetters.count()})`, 30_000);
    await waitFor(async () => (await orders.list({}, { offset: 0, limit: 1000 })).total >= valid.length, 'the valid detections as orders', 30_000);

    // The centre is alive and answers.
    expect(center.child.exitCode).toBeNull();
    expect((await fetch(`${api}/healthz`)).status).toBe(200);

    // Exactly one dead letter per refused message, each with a reason, all of the hostile device.
    const letters = await deadLetters.list({ limit: 1000 });
    expect(letters).toHaveLength(refused.length);
    for (const l of letters) {
      expect(l.reason.length).toBeGreaterThan(10);
      expect(l.deviceId).toBe(HOSTILE);
      expect(JSON.stringify(l).length).toBeLessThan(100_000);
    }
    const byTopic = (ms: { topic: string }[]) => ms.map((m) => m.topic).sort();
    expect(byTopic(letters)).toEqual(byTopic(refused));

    // Every valid detection became an order, with only its own device's photos.
    const all = (await orders.list({}, { offset: 0, limit: 1000 })).items;
    const honestOrders = all.filter((o) => o.deviceId === HONEST);
    expect(honestOrders.flatMap((o) => o.eventIds).sort()).toEqual(valid.map((d) => d.eventId).sort());
    for (const o of honestOrders) expect(o.evidence.map((e) => e.sha256)).toEqual([valid.find((d) => d.eventId === o.eventIds[0])!.evidence[0].sha256]);
    // The hostile device's orders never carry the honest device's photo.
    for (const o of all.filter((x) => x.deviceId === HOSTILE)) expect(o.evidence.map((e) => e.sha256)).not.toContain(honestRef.sha256);
    // Its status was not overwritten by the impostor.
    expect((await new DeviceStateStore(redis, prefix).lastStatus(HONEST))?.message.state).toBe('online');
    // Nothing more trickles in later: still exactly one dead letter per refused message.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await deadLetters.count()).toBe(refused.length);
  }, 120_000);

  it('refuses a topic deeper than the broker takes before acknowledging it: the connection closes, nothing is lost unsaid', async () => {
    const client = await connect(HOSTILE, { clientId: `${HOSTILE}-deep`, reconnectPeriod: 0 });
    const closed = new Promise<'closed'>((resolve) => client.once('close', () => resolve('closed')));
    const acked = new Promise<'acked'>((resolve) => client.publish(`${ROOT}/${HOSTILE}/${'x/'.repeat(900)}z`, 'deep', { qos: 1 }, (err) => !err && resolve('acked')));
    expect(await Promise.race([closed, acked])).toBe('closed');
    client.end(true);
    expect(center.child.exitCode).toBeNull();
  });
});

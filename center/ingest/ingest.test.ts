/** The ingest against the real Mosquitto and Redis: each test in its own root topic and Redis prefix. */
import { rmSync } from 'node:fs';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { ulid } from 'ulid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVIDENCE_BYTES, topics } from '../../contract/index.js';
import { tempDir } from '../../test/fixtures.js';
import { EvidenceStore, sha256Hex } from '../../ticketing/evidence-store.js';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../../ticketing/queues.js';
import { watchDevices } from '../live/live-devices.js';
import { LiveHub } from '../live/live-events.js';
import { Ingest, type IngestOptions } from './ingest.js';
import { deleteKeys, detection, evidenceRef, fakeJpeg, json, MOSQUITTO_URL, REDIS_URL, status, telemetry, testNamespace, waitFor } from './test-fixtures.js';

const silent = pino({ level: 'silent' });

interface Rig {
  root: string;
  prefix: string;
  queue: Queue<DetectionJob>;
  evidence: EvidenceStore;
  pub: MqttClient;
  ingest: Ingest;
  publish(topic: string, payload: Buffer | string, opts?: { retain?: boolean }): Promise<void>;
}

describe('Ingest (Mosquitto + Redis)', () => {
  let redis: Redis;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function rig(over: Partial<IngestOptions> = {}): Promise<Rig> {
    const { root, prefix, id } = testNamespace();
    const dataDir = tempDir('sw-ingest-');
    const queue = new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: redis as unknown as ConnectionOptions, prefix });
    const evidence = new EvidenceStore(dataDir);
    const pub = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: true, clientId: `${id}-pub` });
    const ingest = new Ingest({
      mqtt: { url: MOSQUITTO_URL },
      redis,
      redisPrefix: prefix,
      root,
      evidence,
      queue,
      logger: silent,
      ...over,
    });
    await ingest.start();
    cleanups.push(async () => {
      await ingest.close();
      await pub.endAsync();
      // Retained test messages would otherwise stay on the broker (it persists them).
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await deleteKeys(redis, prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });
    return {
      root, prefix, queue, evidence, pub, ingest,
      publish: async (topic, payload, opts = {}) => {
        await pub.publishAsync(topic, payload, { qos: 1, retain: opts.retain ?? false });
      },
    };
  }

  const jobsIn = async (q: Queue<DetectionJob>) => q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized']);

  it('turns a valid detection into one job, with its evidence stored and verified', async () => {
    const r = await rig();
    const jpeg = fakeJpeg(30_000);
    const ref = evidenceRef(jpeg);
    const det = detection('pole-1', 'cam-1', { evidence: [ref] });
    // The box sends the photo first, then the detection that lists it.
    await r.publish(topics.evidence(r.root, 'pole-1', 'cam-1', ref.evidenceId), jpeg);
    await r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(det));

    const job = await waitFor(() => r.queue.getJob(detectionJobId(det.eventId, det.seq)), 'detection job');
    expect(job.data).toEqual(det);
    expect(await r.evidence.has(ref.sha256)).toBe(true);
    expect((await r.evidence.read(ref.sha256)).equals(jpeg)).toBe(true);
    expect(await jobsIn(r.queue)).toHaveLength(1);
    expect(r.ingest.stats()).toMatchObject({ received: 2, valid: 2, jobs: 1, duplicates: 0, deadLettered: {} });
    expect((await r.ingest.devicesSeen()).map((d) => d.deviceId)).toEqual(['pole-1']);
  });

  it('makes one job of a detection published three times (QoS 1 redelivery, duplicates)', async () => {
    const r = await rig();
    const det = detection('pole-1', 'cam-1');
    const updated = { ...det, seq: 1, state: 'updated' as const, sentAt: new Date().toISOString() };
    for (let i = 0; i < 3; i++) await r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(det));
    await r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(updated));
    await waitFor(() => r.ingest.stats().valid === 4, '4 valid messages');

    const jobs = await jobsIn(r.queue);
    expect(jobs.map((j) => j.id).sort()).toEqual([detectionJobId(det.eventId, 0), detectionJobId(det.eventId, 1)]);
    expect(r.ingest.stats()).toMatchObject({ jobs: 2, duplicates: 2 });
  });

  it("adds a device's detections as jobs in the order it sent them, though its line does not wait for each to be stored", async () => {
    const r = await rig();
    const sent = Array.from({ length: 60 }, () => detection('pole-1', 'cam-1'));
    await Promise.all(sent.map((d) => r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(d))));
    await waitFor(() => r.ingest.stats().valid === sent.length, `${sent.length} valid messages`);

    // No worker runs: every job is still in the wait list, newest first.
    const waiting = (await redis.lrange(r.queue.toKey('wait'), 0, -1)).reverse();
    expect(waiting).toEqual(sent.map((d) => detectionJobId(d.eventId, d.seq)));
    expect(r.ingest.stats()).toMatchObject({ jobs: sent.length, duplicates: 0 });
  });

  it('dead-letters every kind of bad message with its reason, and carries on', async () => {
    const registry = new Set(['pole-1']);
    const r = await rig({ knownDevice: async (id) => registry.has(id), maxJsonBytes: 16 * 1024, evidenceWaitMs: 300 });
    const det = (over = {}) => detection('pole-1', 'cam-1', over);
    const detTopic = topics.detections(r.root, 'pole-1', 'cam-1');

    await r.publish(detTopic, '{"v":1, "eventId": '); // bad JSON
    await r.publish(detTopic, json({ ...det(), confidence: 1.7 })); // schema
    await r.publish(detTopic, json({ ...det(), label: 'x'.repeat(20_000) })); // oversized JSON
    await r.publish(topics.evidence(r.root, 'pole-1', 'cam-1', ulid()), Buffer.alloc(MAX_EVIDENCE_BYTES + 1, 0xff)); // oversized photo
    await r.publish(detTopic, json(detection('pole-2', 'cam-1'))); // device mismatch
    await r.publish(topics.detections(r.root, 'pole-1', 'cam-9'), json(det())); // camera mismatch
    await r.publish(topics.detections(r.root, 'rogue-7', 'cam-1'), json(detection('rogue-7', 'cam-1'))); // unknown device
    await r.publish(`${r.root}/pole-1/cam$1/detections`, json(det())); // unknown topic
    await r.publish(topics.evidence(r.root, 'pole-1', 'cam-1', ulid()), Buffer.from('GIF89a not a jpeg')); // not a JPEG
    // Evidence whose bytes differ from what the detection says, and evidence that never arrived:
    const sent = fakeJpeg(4000);
    const claimed = fakeJpeg(4000);
    const badRef = evidenceRef(claimed);
    const good = fakeJpeg(3000);
    const goodRef = evidenceRef(good);
    const missingRef = evidenceRef(fakeJpeg(1000));
    await r.publish(topics.evidence(r.root, 'pole-1', 'cam-1', badRef.evidenceId), sent);
    await r.publish(topics.evidence(r.root, 'pole-1', 'cam-1', goodRef.evidenceId), good);
    await r.publish(topics.evidence(r.root, 'pole-1', 'cam-1', goodRef.evidenceId), fakeJpeg(3000)); // same id, other bytes
    const withBadEvidence = det({ evidence: [badRef, goodRef, missingRef] });
    await r.publish(detTopic, json(withBadEvidence));
    // … and a good one after all that.
    const ok = det();
    await r.publish(detTopic, json(ok));

    await waitFor(() => r.queue.getJob(detectionJobId(ok.eventId, 0)), 'the valid detection after the bad ones');
    await waitFor(() => r.queue.getJob(detectionJobId(withBadEvidence.eventId, 0)), 'the detection with bad evidence, after its wait');
    const letters = await r.ingest.deadLetters.list({ limit: 100 });
    const byCode = (code: string) => letters.filter((l) => l.code === code);
    expect(byCode('bad_json')).toHaveLength(1);
    expect(byCode('schema_invalid')[0].reason).toMatch(/^detection: confidence: /);
    expect(byCode('oversized').map((l) => l.reason).sort()).toEqual([
      `detections: ${json({ ...det(), label: 'x'.repeat(20_000) }).length} bytes, limit 16384`,
      `evidence: ${MAX_EVIDENCE_BYTES + 1} bytes, limit ${MAX_EVIDENCE_BYTES}`,
    ].sort());
    expect(byCode('oversized').find((l) => l.topic.includes('/evidence/'))).toMatchObject({ bytes: MAX_EVIDENCE_BYTES + 1, truncated: true });
    expect(byCode('device_mismatch')[0]).toMatchObject({ deviceId: 'pole-1', reason: 'deviceId: payload says "pole-2", topic says "pole-1"' });
    expect(byCode('topic_mismatch')[0].reason).toBe('cameraId: payload says "cam-1", topic says "cam-9"');
    expect(byCode('unknown_device')[0]).toMatchObject({ deviceId: 'rogue-7', topic: topics.detections(r.root, 'rogue-7', 'cam-1') });
    expect(byCode('unknown_topic')[0].topic).toBe(`${r.root}/pole-1/cam$1/detections`);
    expect(byCode('evidence_invalid')[0].reason).toMatch(/not a JPEG/);
    // One dead letter for the detection, listing both of its bad refs.
    expect(byCode('evidence_sha_mismatch')).toHaveLength(1);
    expect(byCode('evidence_sha_mismatch')[0].reason).toContain(`says sha256 ${badRef.sha256}, bytes that arrived hash to ${sha256Hex(sent)}`);
    expect(byCode('evidence_sha_mismatch')[0].reason).toContain(`${missingRef.evidenceId} (full, sha256 ${missingRef.sha256}): no bytes arrived`);
    expect(byCode('evidence_missing')).toHaveLength(0);
    expect(byCode('evidence_conflict')[0].reason).toContain(`arrived before as ${goodRef.sha256}`);
    // The raw payload is kept for inspection.
    expect(Buffer.from(byCode('bad_json')[0].payloadBase64, 'base64').toString()).toBe('{"v":1, "eventId": ');

    // The detection with bad evidence still became a job, carrying only the verified photo.
    const job = await r.queue.getJob(detectionJobId(withBadEvidence.eventId, 0));
    expect(job?.data.evidence).toEqual([goodRef]);

    const stats = r.ingest.stats();
    expect(stats.deadLettered).toEqual({
      bad_json: 1, schema_invalid: 1, oversized: 2, device_mismatch: 1, topic_mismatch: 1, unknown_device: 1,
      unknown_topic: 1, evidence_invalid: 1, evidence_sha_mismatch: 1, evidence_conflict: 1,
    });
    expect(await r.ingest.deadLetters.counts()).toEqual(stats.deadLettered);
    expect(stats.jobs).toBe(2);
    expect(await jobsIn(r.queue)).toHaveLength(2);
  });

  it("refuses a reference to another device's photo: dead-lettered, the order gets only the device's own", async () => {
    const r = await rig({ evidenceWaitMs: 200 });
    const theirs = fakeJpeg(3000);
    const theirRef = evidenceRef(theirs);
    const mine = fakeJpeg(3000);
    const myRef = evidenceRef(mine);
    await r.publish(topics.evidence(r.root, 'pole-a', 'cam-1', theirRef.evidenceId), theirs);
    await r.publish(topics.evidence(r.root, 'pole-b', 'cam-1', myRef.evidenceId), mine);
    const det = detection('pole-b', 'cam-1', { evidence: [myRef, theirRef] });
    await r.publish(topics.detections(r.root, 'pole-b', 'cam-1'), json(det));

    const job = await waitFor(() => r.queue.getJob(detectionJobId(det.eventId, 0)), 'the detection job');
    expect(job.data.evidence).toEqual([myRef]);
    const letters = await r.ingest.deadLetters.list();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ code: 'evidence_missing', deviceId: 'pole-b' });
    expect(letters[0].reason).toContain(`${theirRef.evidenceId} (full, sha256 ${theirRef.sha256}): no bytes arrived from pole-b`);
  });

  it('makes one bounded dead letter of a detection listing a hundred missing photos', async () => {
    const r = await rig({ evidenceWaitMs: 100 });
    const refs = Array.from({ length: 100 }, () => evidenceRef(fakeJpeg(100)));
    const det = detection('pole-1', 'cam-1', { evidence: refs });
    await r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(det));

    await waitFor(() => r.queue.getJob(detectionJobId(det.eventId, 0)), 'the detection job');
    const letters = await r.ingest.deadLetters.list();
    expect(letters).toHaveLength(1);
    expect(letters[0].reason).toMatch(/^detection \S+: 100 bad evidence ref\(s\): .*; and 90 more$/);
    expect(letters[0].reason.length).toBeLessThan(2100);
    expect(JSON.stringify(letters[0]).length).toBeLessThan(2 * json(det).length + 4000); // the payload (base64) and a bounded reason
    expect(r.ingest.stats().deadLettered).toEqual({ evidence_missing: 1 });
  });

  it("does not hold other devices up while one device's detection waits for its photos", async () => {
    const r = await rig({ evidenceWaitMs: 5000 });
    const waiting = detection('pole-slow', 'cam-1', { evidence: [evidenceRef(fakeJpeg(100))] }); // its photo never comes
    await r.publish(topics.detections(r.root, 'pole-slow', 'cam-1'), json(waiting));
    await waitFor(() => r.ingest.stats().received === 1, 'the waiting detection in hand');
    const others = Array.from({ length: 5 }, (_, i) => detection(`pole-${i}`, 'cam-1'));
    for (const d of others) await r.publish(topics.detections(r.root, d.deviceId, 'cam-1'), json(d));
    const mine = detection('pole-slow', 'cam-2');
    await r.publish(topics.detections(r.root, 'pole-slow', 'cam-2'), json(mine)); // the same device's next message too

    for (const d of [...others, mine]) await waitFor(() => r.queue.getJob(detectionJobId(d.eventId, 0)), `job of ${d.deviceId}`);
    // All of them became jobs while the first one still waits for its photo.
    expect(await r.queue.getJob(detectionJobId(waiting.eventId, 0))).toBeUndefined();
    await waitFor(() => r.queue.getJob(detectionJobId(waiting.eventId, 0)), 'the waiting one, after its wait', 10_000);
    expect(r.ingest.stats().deadLettered).toEqual({ evidence_missing: 1 });
  });

  it('works a backlog off within a tight in-hand budget (entries and bytes)', async () => {
    const r = await rig({ maxInFlight: 3, maxInFlightBytes: 12_000 });
    const photos = Array.from({ length: 20 }, () => fakeJpeg(5000));
    const refs = photos.map((p) => evidenceRef(p));
    for (const [i, p] of photos.entries()) await r.publish(topics.evidence(r.root, `pole-${i % 4}`, 'cam-1', refs[i].evidenceId), p);
    const dets = refs.map((ref, i) => detection(`pole-${i % 4}`, 'cam-1', { evidence: [ref] }));
    for (const d of dets) await r.publish(topics.detections(r.root, d.deviceId, 'cam-1'), json(d));

    await waitFor(() => r.ingest.stats().valid === 40, 'every photo and detection handled');
    for (const d of dets) expect((await r.queue.getJob(detectionJobId(d.eventId, 0)))?.data.evidence).toEqual(d.evidence);
    expect(r.ingest.stats().deadLettered).toEqual({});
    expect(await r.ingest.journal.length()).toBe(0);
  });

  it('closes promptly with a long line in hand, starts nothing after, and the next start finishes the rest', async () => {
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 40));
      return true;
    };
    const r = await rig({ knownDevice: slow, consumer: 'line-1' });
    const dets = Array.from({ length: 100 }, () => detection('pole-1', 'cam-1'));
    for (const d of dets) await r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(d));
    await waitFor(() => r.ingest.stats().valid >= 5, 'the line under way');
    const t0 = Date.now();
    await r.ingest.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    const handled = r.ingest.stats().received;
    expect(handled).toBeLessThan(100);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.ingest.stats().received).toBe(handled); // nothing started after close

    const next = new Ingest({ redis, redisPrefix: r.prefix, root: r.root, evidence: r.evidence, queue: r.queue, knownDevice: slow, consumer: 'line-1', logger: silent });
    cleanups.push(() => next.close());
    await next.start();
    await waitFor(async () => (await jobsIn(r.queue)).length === 100, 'every detection a job after the restart', 20_000);
    expect(r.ingest.stats().valid + next.stats().valid).toBeGreaterThanOrEqual(100);
    expect(await r.ingest.deadLetters.count()).toBe(0);
  });

  it('dead-letters a message on a topic outside the contract under its own prefix, never drops it silently', async () => {
    const r = await rig();
    const bogus = [`${r.root}/pole-1/cam-1/detections/extra/a/b/c`, `${r.root}/pole-1/whatever`, `${r.root}/pole-1/config/other`];
    for (const t of bogus) await r.publish(t, json(detection('pole-1', 'cam-1')));
    // The centre's own topics coming back on the subscription are not device messages.
    await r.publish(topics.configDesired(r.root, 'pole-1'), json({ v: 1 }));
    await r.publish(topics.teamOrders(r.root, 'team-a'), json({ v: 1 }));
    const ok = detection('pole-1', 'cam-1');
    await r.publish(topics.detections(r.root, 'pole-1', 'cam-1'), json(ok));

    await waitFor(() => r.queue.getJob(detectionJobId(ok.eventId, 0)), 'the valid detection');
    await waitFor(() => r.ingest.stats().received === 4, 'four device messages');
    const letters = await r.ingest.deadLetters.list();
    expect(letters.map((l) => l.topic).sort()).toEqual([...bogus].sort());
    expect(letters.every((l) => l.code === 'unknown_topic')).toBe(true);
  });

  it('keeps the last status, telemetry and sensor reading per device; ignores retained clears', async () => {
    const r = await rig();
    const newer = telemetry('pole-1', { at: new Date(Date.now()).toISOString() });
    const older = telemetry('pole-1', { at: new Date(Date.now() - 60_000).toISOString(), spool: { messages: 99, bytes: 1, dropped: 0 } });
    await r.publish(topics.status(r.root, 'pole-1'), json(status('pole-1', 'online')), { retain: true });
    await r.publish(topics.telemetry(r.root, 'pole-1'), json(newer));
    await r.publish(topics.telemetry(r.root, 'pole-1'), json(older)); // a replayed spool: must not win
    await r.publish(topics.status(r.root, 'pole-1'), json(status('pole-1', 'offline', { reason: 'last_will', at: new Date(Date.now() - 5000).toISOString() })), { retain: true });
    await r.publish(topics.sensor(r.root, 'pole-1', 'bay-3'), json({ v: 1, deviceId: 'pole-1', sensorId: 'bay-3', occupied: true, at: new Date().toISOString(), since: new Date().toISOString() }));
    await r.publish(topics.status(r.root, 'pole-1'), '', { retain: true }); // clears the retained status
    await waitFor(() => r.ingest.stats().received === 6, 'six messages');

    expect(r.ingest.stats()).toMatchObject({ valid: 5, ignored: 1, deadLettered: {} });
    const st = await r.ingest.lastStatus('pole-1');
    expect(st?.message).toMatchObject({ state: 'offline', reason: 'last_will' }); // the Last Will wins though older
    expect((await r.ingest.lastTelemetry('pole-1'))?.message).toEqual(newer);
    expect(Object.keys(await r.ingest.devices.lastSensors('pole-1'))).toEqual(['bay-3']);
    expect(await r.ingest.lastStatus('pole-9')).toBeNull();
    expect((await r.ingest.devicesSeen())[0]).toMatchObject({ deviceId: 'pole-1' });
  });

  it('keeps a camera\'s alerts (camera moved) with the status, for the console', async () => {
    const r = await rig();
    const cameras = [{ cameraId: 'cam-1', state: 'connected' as const, alerts: [{ kind: 'camera_moved' as const, since: new Date(Date.now() - 60_000).toISOString() }] }];
    await r.publish(topics.status(r.root, 'pole-1'), json(status('pole-1', 'online', { cameras })), { retain: true });
    await waitFor(() => r.ingest.stats().valid === 1, 'the status');
    expect((await r.ingest.lastStatus('pole-1'))?.message.cameras).toEqual(cameras);
  });

  it('keeps the last model report per device; refuses one naming another device', async () => {
    const r = await rig();
    const report = (version: number, status: string, extra = {}) => ({
      v: 1, deviceId: 'pole-1', version, status, at: new Date().toISOString(),
      model: { name: 'yolox_nano', version: 'r2', sha256: 'a'.repeat(64) }, ...extra,
    });
    await r.publish(topics.modelReported(r.root, 'pole-1'), json(report(2, 'downloading')), { retain: true });
    await r.publish(topics.modelReported(r.root, 'pole-1'), json(report(2, 'rejected', { error: 'self-test: …' })), { retain: true });
    await r.publish(topics.modelReported(r.root, 'pole-1'), json({ ...report(3, 'applied'), deviceId: 'pole-2' }), { retain: true });
    await r.publish(topics.modelReported(r.root, 'pole-1'), '', { retain: true }); // clears the retained report
    await waitFor(() => r.ingest.stats().received === 4, 'four messages');

    expect(r.ingest.stats()).toMatchObject({ valid: 2, deadLettered: { device_mismatch: 1 } });
    expect((await r.ingest.devices.lastModelReported('pole-1'))?.message).toMatchObject({ version: 2, status: 'rejected', error: 'self-test: …' });
    expect(await r.ingest.devices.lastModelReported('pole-2')).toBeNull();
  });

  it('dead-letters a retained config report with a zone nested 40,000 deep, naming the depth; the console never relays it and stays up', async () => {
    const r = await rig();
    const topic = topics.configReported(r.root, 'pole-1');
    const report = (zones: string) => `{"v":1,"deviceId":"pole-1","version":0,"status":"applied","at":"${new Date().toISOString()}","running":{"cameras":[{"id":"cam-1","zones":[${zones}]}]}}`;
    const deep = report(`${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`);
    expect(deep.length).toBeGreaterThan(240_000);
    await r.publish(topic, deep, { retain: true });
    cleanups.push(() => r.pub.publishAsync(topic, '', { qos: 1, retain: true }).then(() => undefined)); // runs before the rig's cleanup
    await waitFor(() => r.ingest.deadLetters.count(), 'the deep report dead-lettered');

    // An API process starting now gets the retained report first, and streams what it relays as /api/events does.
    const hub = new LiveHub(silent);
    const streamed: unknown[] = [];
    hub.subscribe((event) => streamed.push(JSON.parse(JSON.stringify(event))));
    const api = await connectAsync(MOSQUITTO_URL, { clean: true, clientId: `${r.prefix}-api` });
    cleanups.push(() => api.endAsync());
    await watchDevices(api, r.root, (e) => hub.emit(e), silent);
    const zone = { id: 'kerb', kind: 'no_parking', polygon: [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]] };
    const good = report(JSON.stringify(zone));
    await r.publish(topic, good);

    // The report after it is relayed and stored: both processes carried on.
    await waitFor(() => streamed.length > 0, 'the valid report relayed');
    expect(streamed).toEqual([expect.objectContaining({ kind: 'device', deviceId: 'pole-1', configReported: JSON.parse(good) })]);
    await waitFor(() => r.ingest.stats().valid === 1, 'the valid report handled by the ingest');
    expect((await r.ingest.devices.lastConfigReported('pole-1'))?.message).toEqual(JSON.parse(good));
    const letters = await r.ingest.deadLetters.list();
    expect(letters).toEqual([expect.objectContaining({ code: 'schema_invalid', reason: expect.stringMatching(/^config reported: JSON nested deeper than 32 levels \(character \d+\)$/) })]);
    expect(r.ingest.stats()).toMatchObject({ valid: 1, deadLettered: { schema_invalid: 1 } });
  });

  it('refuses telemetry from a clock far ahead, so it cannot hide the readings after it', async () => {
    const r = await rig();
    const ahead = telemetry('pole-1', { at: new Date(Date.now() + 60 * 60_000).toISOString() });
    const now = telemetry('pole-1');
    await r.publish(topics.telemetry(r.root, 'pole-1'), json(ahead));
    await r.publish(topics.telemetry(r.root, 'pole-1'), json(now));
    await waitFor(async () => r.ingest.stats().valid === 1 && (await r.ingest.deadLetters.count()) === 1, 'one reading stored, one dead letter');

    expect((await r.ingest.lastTelemetry('pole-1'))?.message).toEqual(now);
    const [letter] = await r.ingest.deadLetters.list();
    expect(letter).toMatchObject({ code: 'schema_invalid', reason: expect.stringMatching(new RegExp(`^telemetry: at: ${ahead.at} is 60 min ahead of the centre's clock`)) });
  });

  it('dead-letters detections discovered at no real time or far in the future, naming discoveredAt; the valid ones between become jobs', async () => {
    const r = await rig();
    const detTopic = topics.detections(r.root, 'pole-1', 'cam-1');
    const valid = [detection('pole-1', 'cam-1'), detection('pole-1', 'cam-1'), detection('pole-1', 'cam-1')];
    const month13 = detection('pole-1', 'cam-1', { discoveredAt: '2026-13-01T00:00:00.000Z' });
    const lastDay = detection('pole-1', 'cam-1', { discoveredAt: '9999-12-31T23:59:59.999Z' });
    for (const m of [valid[0], month13, valid[1], lastDay, valid[2]]) await r.publish(detTopic, json(m));
    await waitFor(async () => r.ingest.stats().valid === 3 && (await r.ingest.deadLetters.count()) === 2, 'three jobs, two dead letters');

    expect((await jobsIn(r.queue)).map((j) => j.id).sort()).toEqual(valid.map((m) => detectionJobId(m.eventId, 0)).sort());
    const reasons = (await r.ingest.deadLetters.list()).map((l) => [l.code, l.reason]).reverse();
    expect(reasons).toEqual([
      ['schema_invalid', 'detection: discoveredAt: 2026-13-01T00:00:00.000Z is no real date and time (a month 13, 30 February, hour 25?)'],
      ['schema_invalid', expect.stringMatching(/^detection: discoveredAt: 9999-12-31T23:59:59\.999Z is \d+ days ahead of the centre's clock/)],
    ]);
    expect(r.ingest.stats()).toMatchObject({ valid: 3, jobs: 3, deadLettered: { schema_invalid: 2 } });
  });

  it('works on a client it is given, and leaves it as it found it', async () => {
    const { root, prefix, id } = testNamespace();
    const client = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: true, clientId: `${id}-centre` });
    const dataDir = tempDir('sw-ingest-');
    const queue = new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: redis as unknown as ConnectionOptions, prefix });
    cleanups.push(async () => {
      await client.endAsync();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await deleteKeys(redis, prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });
    const ingest = new Ingest({ mqtt: client, redis, redisPrefix: prefix, root, evidence: new EvidenceStore(dataDir), queue, logger: silent });
    await ingest.start();
    const others: string[] = [];
    client.on('message', (t) => others.push(t));
    await client.subscribeAsync(`${id}-other/#`, { qos: 1 });

    const det = detection('pole-1', 'cam-1');
    await client.publishAsync(topics.detections(root, 'pole-1', 'cam-1'), json(det), { qos: 1 });
    await client.publishAsync(`${id}-other/x`, 'hello', { qos: 1 });
    await waitFor(() => queue.getJob(detectionJobId(det.eventId, 0)), 'job');
    await waitFor(() => others.includes(`${id}-other/x`), 'the other subscription');

    await ingest.close();
    expect(Object.prototype.hasOwnProperty.call(client, 'handleMessage')).toBe(false);
    expect(client.connected).toBe(true); // not ours to end
    await client.publishAsync(topics.detections(root, 'pole-1', 'cam-1'), json(detection('pole-1', 'cam-1')), { qos: 1 });
    await client.publishAsync(`${id}-other/y`, 'still here', { qos: 1 });
    await waitFor(() => others.includes(`${id}-other/y`), 'the other subscription after close');
    expect(ingest.stats().received).toBe(1);
  });
});

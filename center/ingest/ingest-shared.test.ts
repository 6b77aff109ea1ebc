/** Several ingest instances on MQTT 5 shared subscriptions (Mosquitto), and redelivery of an unfinished message. */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contract/index.js';
import { tempDir } from '../../test/fixtures.js';
import { EvidenceStore } from '../../ticketing/evidence-store.js';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../../ticketing/queues.js';
import { Ingest } from './ingest.js';
import { deleteKeys, detection, evidenceRef, fakeJpeg, json, MOSQUITTO_URL, REDIS_URL, testNamespace, waitFor } from './test-fixtures.js';

const silent = pino({ level: 'silent' });
const ALL_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'] as const;

describe('Ingest on Mosquitto: shared subscriptions and redelivery', () => {
  let redis: Redis;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await redis.quit();
  });

  function namespace() {
    const ns = testNamespace();
    const dataDir = tempDir('sw-ingest-');
    const queue = new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: redis as unknown as ConnectionOptions, prefix: ns.prefix });
    cleanups.push(async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await deleteKeys(redis, ns.prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { ...ns, queue, evidence: new EvidenceStore(dataDir) };
  }

  async function publisher(id: string): Promise<MqttClient> {
    const pub = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: true, clientId: `${id}-pub` });
    cleanups.push(() => pub.endAsync());
    return pub;
  }

  it('splits the messages between two instances: each handled once, one job per detection', async () => {
    const ns = namespace();
    // Separate instances as in separate processes: own connection, own queue object; one evidence directory.
    const make = () => new Ingest({ mqtt: { url: MOSQUITTO_URL }, redis, redisPrefix: ns.prefix, root: ns.root, evidence: ns.evidence, shared: true, shareGroup: ns.id, logger: silent });
    const a = make();
    const b = make();
    cleanups.push(() => a.close(), () => b.close());
    await a.start();
    await b.start();
    const pub = await publisher(ns.id);

    const N = 40;
    const dets = [];
    for (let i = 0; i < N; i++) {
      // Photo first, then its detection: they may land on different instances.
      const jpeg = fakeJpeg(2000);
      const ref = evidenceRef(jpeg);
      const det = detection(`pole-${i % 4}`, 'cam-1', { evidence: [ref] });
      dets.push(det);
      await pub.publishAsync(topics.evidence(ns.root, det.deviceId, 'cam-1', ref.evidenceId), jpeg, { qos: 1 });
      await pub.publishAsync(topics.detections(ns.root, det.deviceId, 'cam-1'), json(det), { qos: 1 });
    }

    await waitFor(() => a.stats().valid + b.stats().valid === 2 * N, 'all messages handled', 30_000);
    await sleep(300); // nothing more may arrive
    const sa = a.stats();
    const sb = b.stats();
    expect(sa.received + sb.received).toBe(2 * N);
    expect(sa.valid).toBeGreaterThan(0);
    expect(sb.valid).toBeGreaterThan(0);
    expect(sa.deadLettered).toEqual({});
    expect(sb.deadLettered).toEqual({});
    expect(sa.jobs + sb.jobs).toBe(N);
    expect(sa.duplicates + sb.duplicates).toBe(0);

    const jobs = await ns.queue.getJobs([...ALL_STATES]);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(dets.map((d) => detectionJobId(d.eventId, d.seq))));
    expect(jobs).toHaveLength(N);
    // Every job kept its (verified) photo, even when photo and detection went to different instances.
    expect(jobs.every((j) => j.data.evidence.length === 1)).toBe(true);
  });

  it('journals what the broker queued for its persistent session while it was away, none acknowledged unjournaled', async () => {
    const ns = namespace();
    const clientId = `${ns.id}-ingest`;
    cleanups.push(async () => {
      const wipe = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: true, clientId, properties: { sessionExpiryInterval: 0 } });
      await wipe.endAsync();
    });
    const make = () => new Ingest({ mqtt: { url: MOSQUITTO_URL, clientId, sessionExpirySeconds: 60 }, redis, redisPrefix: ns.prefix, root: ns.root, evidence: ns.evidence, queue: ns.queue, logger: silent });
    const first = make();
    await first.start();
    await first.close(); // the session stays subscribed at the broker
    const pub = await publisher(ns.id);
    const dets = Array.from({ length: 200 }, () => detection('pole-1', 'cam-1'));
    for (const d of dets) await pub.publishAsync(topics.detections(ns.root, 'pole-1', 'cam-1'), json(d), { qos: 1 });

    const second = make();
    cleanups.push(() => second.close());
    await second.start(); // the broker sends the backlog right after CONNACK
    await waitFor(() => second.stats().valid === 200, `the 200 queued detections (${second.stats().valid})`, 20_000);
    const missing = [];
    for (const d of dets) if (!(await ns.queue.getJob(detectionJobId(d.eventId, 0)))) missing.push(d.eventId);
    expect(missing).toEqual([]);
  });

  it('refuses shared subscriptions on an MQTT 3.1.1 client', async () => {
    const ns = namespace();
    const client = await connectAsync(MOSQUITTO_URL, { protocolVersion: 4, clean: true, clientId: `${ns.id}-v4` });
    cleanups.push(() => client.endAsync());
    const ingest = new Ingest({ mqtt: client, redis, redisPrefix: ns.prefix, root: ns.root, evidence: ns.evidence, queue: ns.queue, shared: true, logger: silent });
    await expect(ingest.start()).rejects.toThrow(/MQTT 5/);
  });

  it('acknowledges only once the message is journaled: one interrupted by a lost connection is redelivered, still one job', async () => {
    const ns = namespace();
    const clientId = `${ns.id}-ingest`;
    const client = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: false, clientId, reconnectPeriod: 100, properties: { sessionExpiryInterval: 30 } });
    cleanups.push(async () => {
      await client.endAsync();
      // Drop the persistent session from the broker.
      const wipe = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: true, clientId, properties: { sessionExpiryInterval: 0 } });
      await wipe.endAsync();
    });
    // Journaling the first delivery hangs until the connection is gone.
    const ingest = new Ingest({ mqtt: client, redis, redisPrefix: ns.prefix, root: ns.root, evidence: ns.evidence, queue: ns.queue, logger: silent });
    let calls = 0;
    let release!: () => void;
    const firstCall = new Promise<void>((r) => (release = r));
    const append = ingest.journal.append.bind(ingest.journal);
    ingest.journal.append = async (m) => {
      if (++calls === 1) await firstCall;
      return append(m);
    };
    cleanups.push(() => ingest.close());
    await ingest.start();
    const pub = await publisher(ns.id);
    const det = detection('pole-1', 'cam-1');
    await pub.publishAsync(topics.detections(ns.root, 'pole-1', 'cam-1'), json(det), { qos: 1 });
    await waitFor(() => calls === 1, 'first delivery in hand');

    client.stream.destroy(); // connection lost before the PUBACK
    await waitFor(() => calls >= 2, 'redelivery after reconnect', 10_000);
    await waitFor(() => ns.queue.getJob(detectionJobId(det.eventId, 0)), 'job from the redelivery');
    release();
    await waitFor(() => ingest.stats().received === 2 && ingest.stats().valid === 2, 'both copies handled');
    expect(ingest.stats()).toMatchObject({ jobs: 1, duplicates: 1 });
    expect(await ns.queue.getJobs([...ALL_STATES])).toHaveLength(1);
  });
});

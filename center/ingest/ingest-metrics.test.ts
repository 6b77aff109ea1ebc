/** Telemetry from MQTT to metrics: into VictoriaMetrics, and on with the ingest when metrics are down. */
import { rmSync } from 'node:fs';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contract/index.js';
import { tempDir } from '../../test/fixtures.js';
import { freePort, startVictoriaMetrics, victoriaMetricsAvailable, type VictoriaMetricsHandle } from '../../test/helpers/victoria-metrics.js';
import { EvidenceStore } from '../../ticketing/evidence-store.js';
import { InfluxMetricsWriter } from '../metrics/influx-writer.js';
import type { MetricsWriter } from '../metrics/points.js';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../../ticketing/queues.js';
import { Ingest } from './ingest.js';
import { deleteKeys, detection, json, MOSQUITTO_URL, REDIS_URL, telemetry, testNamespace, waitFor } from './test-fixtures.js';

const silent = pino({ level: 'silent' });

describe('Ingest → metrics', () => {
  let redis: Redis;
  let vm: VictoriaMetricsHandle | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    if (victoriaMetricsAvailable()) vm = await startVictoriaMetrics();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await vm?.stop();
    await redis.quit();
  });

  async function rig(metrics: MetricsWriter): Promise<{ root: string; queue: Queue<DetectionJob>; ingest: Ingest; pub: MqttClient }> {
    const { root, prefix, id } = testNamespace();
    const dataDir = tempDir('sw-ingest-');
    const queue = new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: redis as unknown as ConnectionOptions, prefix });
    const ingest = new Ingest({ mqtt: { url: MOSQUITTO_URL }, redis, redisPrefix: prefix, root, evidence: new EvidenceStore(dataDir), queue, metrics, logger: silent });
    await ingest.start();
    const pub = await connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clean: true, clientId: `${id}-pub` });
    cleanups.push(async () => {
      await ingest.close();
      await pub.endAsync();
      await metrics.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await deleteKeys(redis, prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { root, queue, ingest, pub };
  }

  it.skipIf(!victoriaMetricsAvailable())('writes telemetry and detections to VictoriaMetrics', async () => {
    const metrics = new InfluxMetricsWriter({ url: vm!.url, org: 'streetwatch', bucket: 'edge', flushIntervalMs: 50 });
    const { root, ingest, pub } = await rig(metrics);
    const device = `pole-${Math.random().toString(36).slice(2, 8)}`;
    await pub.publishAsync(topics.telemetry(root, device), json(telemetry(device)), { qos: 1 });
    await pub.publishAsync(topics.detections(root, device, 'cam-1'), json(detection(device, 'cam-1')), { qos: 1 });
    await waitFor(() => ingest.stats().valid === 2, 'messages handled');

    const fps = await vm!.waitFor(async () => {
      const r = await vm!.query(`edge_camera_fps{device="${device}"}`);
      return r.length === 2 ? r : undefined;
    });
    expect(fps.map((s) => s.metric.camera).sort()).toEqual(['cam-1', 'cam-2']);
    const inference = await vm!.query(`edge_camera_inference_ms{device="${device}",camera="cam-1"}`);
    expect(inference[0].value[1]).toBe('31.5');
    const conf = await vm!.waitFor(() => vm!.query(`detection_confidence{device="${device}"}`).then((r) => (r.length ? r : undefined)));
    expect(conf[0].metric).toMatchObject({ type: 'illegal_parking', zone: 'kerb-1', state: 'started' });
    // Two cameras, the system, cam-1's zone model, the detection.
    expect(metrics.stats()).toMatchObject({ written: 5, dropped: 0 });
  });

  it('carries on when the metrics server is down: every message handled, buffer bounded, drops counted', async () => {
    const port = await freePort(); // nothing listens
    const metrics = new InfluxMetricsWriter({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', maxBufferedPoints: 20, batchSize: 5, flushIntervalMs: 5, retry: { minDelayMs: 10, maxDelayMs: 50 }, closeTimeoutMs: 200 });
    const { root, queue, ingest, pub } = await rig(metrics);
    const N = 30;
    for (let i = 0; i < N; i++) await pub.publishAsync(topics.telemetry(root, 'pole-1'), json(telemetry('pole-1')), { qos: 1 });
    const det = detection('pole-1', 'cam-1');
    await pub.publishAsync(topics.detections(root, 'pole-1', 'cam-1'), json(det), { qos: 1 });

    await waitFor(() => queue.getJob(detectionJobId(det.eventId, 0)), 'the detection job');
    await waitFor(() => ingest.stats().valid === N + 1, 'every message handled');
    expect(ingest.stats().deadLettered).toEqual({});
    const s = metrics.stats();
    const points = N * 4 + 1; // two cameras, system and a zone model per telemetry, one detection
    expect(s.written).toBe(0);
    expect(s.buffered).toBeLessThanOrEqual(20);
    expect(s.dropped).toBeGreaterThanOrEqual(points - 20);
    expect(s.dropped + s.buffered).toBe(points);
    expect(s.failures).toBeGreaterThan(0);
    expect((await ingest.lastTelemetry('pole-1'))?.message.deviceId).toBe('pole-1');
  });
});

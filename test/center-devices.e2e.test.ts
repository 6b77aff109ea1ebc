/**
 * Devices of a running centre (embedded broker, ingest), managed as `streetwatch device` does it:
 * from a registry of its own on a Redis connection of its own, as from another process.
 *
 * A revoke must take effect at once: the device's open connection closes (not at the broker's
 * next periodic check, 10 s by default), and what it sends right after the revoke becomes no job,
 * though the ingest had just looked the device up and cached it as known. And the centre's
 * configured account name is reserved: no device can be given it.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { captureLogger, connectClient, dropPrefix, REDIS_URL, testPrefix } from '../broker/test-support.js';
import { topics, type DetectionMessage } from '../contract/index.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { centerConfigSchema } from '../center/config.js';
import { detectionJobId, QUEUE_NAMES } from '../ticketing/queues.js';
import { tempDir } from './fixtures.js';
import { waitFor } from './helpers/wait.js';

const ROOT = 'streetwatch/v1';
const CENTER_ACCOUNT = 'city-centre';

function detection(deviceId: string): DetectionMessage {
  const now = new Date().toISOString();
  return {
    v: 1, eventId: ulid(), seq: 0, deviceId, cameraId: 'cam-1', zoneId: 'kerb', type: 'illegal_parking', state: 'started',
    label: 'car', confidence: 0.9, bbox: { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 }, firstSeenAt: now, discoveredAt: now, sentAt: now, evidence: [],
  };
}

/** When the client's connection closed, or null if it is still open after `ms`. */
function closedWithin(client: MqttClient, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now());
    });
  });
}

describe('devices of a running centre', () => {
  const prefix = testPrefix();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  // What `streetwatch device revoke` uses: a registry on a Redis connection of its own.
  const cliRegistry = new DeviceRegistry(redis, prefix);
  const jobs = new Queue(QUEUE_NAMES.detections, { connection: redis as unknown as ConnectionOptions, prefix });
  const { logger, lines } = captureLogger();
  const clients: MqttClient[] = [];
  let center: RunningCenter;

  beforeAll(async () => {
    const config = centerConfigSchema.parse({
      redisPrefix: prefix, redisUrl: REDIS_URL, dataDir: tempDir('sw-devices-'), rootTopic: ROOT,
      mqtt: { host: '127.0.0.1', port: 0, username: CENTER_ACCOUNT },
      teams: [{ id: 'team-a' }], defaultTeam: 'team-a',
    });
    center = await startCenter({ config, roles: ['ingest'], instanceId: `devices-${prefix}`, logger });
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await center?.close();
    await jobs.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  const connectDevice = async (deviceId: string, password: string) => {
    const client = await connectClient(center.mqttUrl, { username: deviceId, password, clientId: `edge-${deviceId}-${prefix}` });
    clients.push(client);
    return client;
  };
  const publish = (client: MqttClient, m: DetectionMessage) => client.publishAsync(topics.detections(ROOT, m.deviceId, m.cameraId), JSON.stringify(m), { qos: 1 });
  const isJob = async (m: DetectionMessage) => (await jobs.getJob(detectionJobId(m.eventId, m.seq))) !== undefined;

  it('closes a revoked device\'s connection within a second, and what it sends right after the revoke becomes no job', async () => {
    const revoked = await cliRegistry.add('pole-rv');
    const pole = await connectDevice('pole-rv', revoked.password);
    const other = await connectDevice('pole-ok', (await cliRegistry.add('pole-ok')).password);
    const first = detection('pole-rv');
    await publish(pole, first);
    await waitFor(() => isJob(first), 'the first detection to become a job'); // the ingest now has the device cached as known

    const closed = closedWithin(pole, 5000);
    const revokedAt = Date.now();
    await cliRegistry.revoke('pole-rv');
    const late = detection('pole-rv');
    pole.publish(topics.detections(ROOT, 'pole-rv', 'cam-1'), JSON.stringify(late), { qos: 1 }); // its PUBACK may never come
    const closedAt = await closed;
    expect(closedAt, 'the revoked device is still connected after 5 s').not.toBeNull();
    expect(closedAt! - revokedAt).toBeLessThan(1000);
    expect(lines.some((l) => l.msg === 'device revoked; closing its connection' && l.deviceId === 'pole-rv')).toBe(true);

    // The broker hands messages to the ingest in order and the ingest handles them one at a time:
    // once a later detection of another device is a job, the revoked device's has had its turn.
    const sentinel = detection('pole-ok');
    await publish(other, sentinel);
    await waitFor(() => isJob(sentinel), 'the detection of the device still registered to become a job');
    expect(await isJob(late)).toBe(false);
    expect(center.ingestStats!().jobs).toBe(2);

    // Nor can it come back.
    const again = await connectDevice('pole-rv', revoked.password).catch((err: { code?: number }) => err);
    expect(again).toMatchObject({ code: 4 });
  });

  it("reserves the centre's configured account name: no device can be given it", async () => {
    expect(await cliRegistry.add(CENTER_ACCOUNT).catch((err: unknown) => err)).toMatchObject({
      code: 'DEVICE_RESERVED_ID',
      message: expect.stringContaining(`"${CENTER_ACCOUNT}" is reserved: it is the centre's MQTT account name`),
    });
  });
});

/**
 * An acknowledgement means the detection is safe: a box deletes what the broker acknowledged, so
 * after a crash of the centre (SIGKILL with thousands still waiting to be ingested, then a clean
 * restart on top) or of Redis, every acknowledged detection becomes exactly one job.
 *
 * The real `streetwatch center` (embedded broker, ingest role) runs as a child process on a
 * redis-server of the test's own with AOF on, as deployments run it; devices are mqtt.js clients
 * publishing QoS 1 bursts, and a detection counts as acknowledged when its PUBACK arrived.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { topics } from '../contract/index.js';
import { journalKey } from '../center/ingest/journal.js';
import { detection, json } from '../center/ingest/test-fixtures.js';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../ticketing/queues.js';
import { tempDir } from './fixtures.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.js';
import { AS_IN_CENTER_IMAGE, CLI, freePort, runCli, waitFor, type Cli } from './helpers/processes.js';

const PREFIX = '{swdur}';
const ROOT = 'streetwatch/v1';
const DEVICES = ['pole-0001', 'pole-0002', 'pole-0003', 'pole-0004'];

interface Device {
  client: MqttClient;
  id: string;
}

describe('acknowledged detections survive crashes', () => {
  let dir: string;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let queue: Queue<DetectionJob>;
  let mqttPort: number;
  let passwords: Map<string, string>;
  const centers: Cli[] = [];
  const devices: Device[] = [];

  /** `roles` without `ingest`: the embedded broker journals what devices send, and nothing works it off. */
  const startCenter = async (roles = 'ingest'): Promise<Cli> => {
    const c = runCli(['center', '--demo', '--config', join(projectRoot, 'examples', 'center.yaml'), '--role', roles, '--instance', 'durability',
      '--mqtt-port', String(mqttPort), '--http-port', String(await freePort()), '--data-dir', join(dir, 'data')], {
      REDIS_URL: redisServer.url, STREETWATCH_REDIS_PREFIX: PREFIX, LOG_LEVEL: 'warn', ...AS_IN_CENTER_IMAGE,
    });
    centers.push(c);
    await waitFor(() => c.output().includes('centre running') || c.child.exitCode !== null, 'centre start', 30_000);
    expect(c.child.exitCode, c.output()).toBeNull();
    return c;
  };

  const kill = async (c: Cli) => {
    c.child.kill('SIGKILL');
    await c.exited;
  };

  const connectDevices = async () => {
    for (const id of DEVICES) {
      const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4, clientId: `${id}-box`, username: id, password: passwords.get(id), reconnectPeriod: 200, clean: true });
      client.on('error', () => undefined);
      devices.push({ client, id });
    }
  };

  /** Publishes `perDevice` detections from every device at once; the eventIds whose PUBACK came go into `acked`. */
  const burst = (perDevice: number, acked: Set<string>) => {
    const all: string[] = [];
    for (const d of devices) {
      for (let i = 0; i < perDevice; i++) {
        const det = detection(d.id, 'cam-1');
        all.push(det.eventId);
        d.client.publish(topics.detections(ROOT, d.id, 'cam-1'), json(det), { qos: 1 }, (err) => {
          if (!err) acked.add(det.eventId);
        });
      }
    }
    return all;
  };

  const jobCount = async () => Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
  const missingJobs = async (eventIds: Iterable<string>) => {
    const ids = [...eventIds];
    const found = await Promise.all(ids.map((id) => queue.getJob(detectionJobId(id, 0))));
    return ids.filter((_, i) => !found[i]);
  };

  beforeEach(async () => {
    dir = tempDir('sw-durability-');
    mkdirSync(join(dir, 'redis'));
    redisServer = await startPrivateRedis({ dir: join(dir, 'redis'), aof: true });
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    queue = new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: redis as unknown as ConnectionOptions, prefix: PREFIX });
    queue.on('error', () => undefined); // Redis is killed on purpose
    mqttPort = await freePort();
    passwords = new Map(DEVICES.map((id) => {
      const out = execFileSync('node', [CLI, 'device', 'add', id, '--json', '--prefix', PREFIX], { encoding: 'utf8', env: { ...process.env, REDIS_URL: redisServer.url } });
      return [id, (JSON.parse(out) as { password: string }).password];
    }));
  }, 30_000);

  afterEach(async () => {
    for (const d of devices.splice(0)) d.client.end(true);
    for (const c of centers.splice(0)) await kill(c);
    await queue.close();
    redis.disconnect();
    await redisServer.stop();
  });

  it('a centre SIGKILLed with thousands waiting, then restarted three times: every acknowledged detection becomes exactly one job', async () => {
    // The burst goes to a centre that does not ingest, so the backlog at the kill is all of it, whatever the machine's speed.
    const first = await startCenter('worker');
    await connectDevices();
    const acked = new Set<string>();
    const sent = burst(1000, acked);
    await waitFor(() => acked.size === sent.length, `all ${sent.length} acknowledged (${acked.size} so far)`, 60_000);
    await kill(first);
    expect(await redis.xlen(journalKey(PREFIX))).toBe(sent.length);
    expect(await jobCount()).toBe(0);

    // An ingest SIGKILLed while it works the backlog off, one stopped cleanly while it does, then a last one.
    const second = await startCenter();
    await waitFor(async () => (await jobCount()) > 0, 'progress after the first restart', 30_000);
    await kill(second);
    const jobsAtKill = await jobCount();
    const third = await startCenter();
    await waitFor(async () => (await jobCount()) > jobsAtKill || jobsAtKill === sent.length, 'progress after the second restart', 30_000);
    expect(await third.stop()).toBe(0);
    await startCenter();
    await waitFor(async () => (await jobCount()) >= sent.length, 'every detection a job', 60_000);

    expect(await missingJobs(acked)).toEqual([]);
    expect(await jobCount()).toBe(sent.length);
    expect(await redis.llen(`${PREFIX}:ingest:dead-letters`)).toBe(0);
    await waitFor(async () => (await redis.xlen(journalKey(PREFIX))) === 0, 'the journal emptied');
  }, 180_000);

  it('Redis and the centre SIGKILLed mid-burst, both restarted: every acknowledged detection becomes a job, once', async () => {
    const first = await startCenter();
    await connectDevices();
    const acked = new Set<string>();
    // mqtt.js resends what was not acknowledged slowly (~100/s): the burst is sized for that.
    const sent = burst(400, acked);
    await waitFor(() => acked.size >= 800, 'the first acknowledgements', 30_000);
    await redisServer.signal('SIGKILL');
    await kill(first);
    const ackedWhenKilled = acked.size;
    await redisServer.restart();
    await startCenter();
    // Devices resend what was not acknowledged once they are back in.
    await waitFor(() => acked.size === sent.length, `all acknowledged after the restarts (${acked.size} of ${sent.length})`, 60_000);
    expect(ackedWhenKilled).toBeLessThan(sent.length);
    await waitFor(async () => (await jobCount()) >= sent.length, `every detection a job (${await jobCount()})`, 30_000);

    expect(await missingJobs(acked)).toEqual([]);
    expect(await jobCount()).toBe(sent.length);
    expect(await redis.llen(`${PREFIX}:ingest:dead-letters`)).toBe(0);
  }, 180_000);
});

/**
 * Two ingest+worker instances share one Redis and Mosquitto (MQTT 5 shared subscriptions): every
 * detection is handled by exactly one of them and no work order is duplicated, even with
 * redelivered and concurrent copies.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { createLogger } from '../common/logger.js';
import { topics } from '../contract/index.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { centerConfigSchema } from '../center/config.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { tempDir } from './fixtures.js';
import { waitFor } from './helpers/processes.js';
import { detectionInOwnZone } from './helpers/zone-detections.js';

const N = 120;

describe('two centre instances on one broker and one Redis', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `{swscale-${id}}`;
  const root = `swtest-${id}/v1`;
  const redis = new Redis({ maxRetriesPerRequest: null });
  const orderPosts: string[] = [];
  const receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { kind: string; order: { id: string } };
      if (body.kind === 'order') orderPosts.push(body.order.id);
      res.writeHead(200).end();
    });
  });
  const centers: RunningCenter[] = [];

  afterAll(async () => {
    for (const c of centers) await c.close();
    receiver.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('handles every detection once and makes one order per problem', async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    const config = centerConfigSchema.parse({
      rootTopic: root, redisPrefix: prefix, dataDir: tempDir(),
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      teams: [{ id: 'team-a', webhook: { url: `http://127.0.0.1:${port}/orders`, secret: 'scale-secret' }, officers: [{ id: 'a1' }, { id: 'a2' }] }],
      defaultTeam: 'team-a',
      confirmation: { autoConfirm: { illegal_parking: 0.5 } },
    });
    await new DeviceRegistry(redis, prefix).add('pole-m1');
    const logger = createLogger('scale-test');
    logger.level = 'warn';
    for (const instanceId of [`a-${id}`, `b-${id}`]) centers.push(await startCenter({ config, roles: ['ingest', 'worker'], instanceId, logger }));

    const pub = await connectAsync('mqtt://127.0.0.1:1883', { clientId: `pub-${id}` });
    const topic = topics.detections(root, 'pole-m1', 'cam-1');
    const messages = Array.from({ length: N }, (_, i) => detectionInOwnZone(i, 'pole-m1'));
    for (const m of messages) await pub.publishAsync(topic, JSON.stringify(m), { qos: 1 });
    // Redelivered copies (QoS 1 duplicates) and a burst of concurrent copies of one detection.
    for (const m of messages.slice(0, 20)) await pub.publishAsync(topic, JSON.stringify(m), { qos: 1 });
    await Promise.all(Array.from({ length: 20 }, () => pub.publishAsync(topic, JSON.stringify(messages[0]), { qos: 1 })));
    await pub.endAsync();
    const published = N + 20 + 20;

    // `received` counts on arrival; wait until every message has also been handled (job or duplicate).
    const handled = () => centers.reduce((n, c) => n + (c.ingestStats?.().jobs ?? 0) + (c.ingestStats?.().duplicates ?? 0), 0);
    await waitFor(() => handled() >= published, 'every message handled');
    const stats = centers.map((c) => c.ingestStats!());
    // Shared subscription: each message went to exactly one instance, and both took a share.
    expect(stats.reduce((n, s) => n + s.received, 0)).toBe(published);
    expect(stats.every((s) => s.received > 0)).toBe(true);
    expect(stats.reduce((n, s) => n + s.jobs, 0)).toBe(N);
    expect(stats.reduce((n, s) => n + s.duplicates, 0)).toBe(40);

    const store = new RedisWorkOrderStore(redis, prefix);
    await waitFor(async () => (await store.list({}, { offset: 0, limit: 1 })).total >= N && orderPosts.length >= N, 'orders made and dispatched');
    await new Promise((r) => setTimeout(r, 1000));
    const all = await store.list({}, { offset: 0, limit: 500 });
    expect(all.total).toBe(N);
    expect(new Set(all.items.flatMap((o) => o.eventIds)).size).toBe(N);
    expect(orderPosts).toHaveLength(N);
    expect(new Set(orderPosts).size).toBe(N);
  }, 90_000);
});

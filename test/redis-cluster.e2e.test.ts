/**
 * The centre on a real Redis Cluster: 3 masters and 3 replicas started by the test on loopback
 * ports. Two centre instances (one with every role, one ingest + worker) share it and Mosquitto;
 * the master serving the prefix's slot is SIGKILLed while detections arrive, its replica takes
 * over, and every detection still becomes exactly one order, with its SLA timers, its webhook and
 * its live event. An embedded broker keeps its sessions on the cluster across a restart.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, connectAsync, type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { captureLogger } from '../broker/test-support.js';
import { checkRedis, openRedis, type RedisClient, type RedisTarget } from '../common/redis.js';
import { withTimeout } from '../common/timeout.js';
import { CENTER_CLIENT_IDS, topics } from '../contract/index.js';
import { centerConfigSchema } from '../center/config.js';
import type { OpenReportInput } from '../ticketing/store-types.js';
import { withRedis } from '../center/redis-cli-options.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { createQueues } from '../ticketing/queues.js';
import { slaJobId } from '../ticketing/sla-timers.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { tempDir } from './fixtures.js';
import { startRedisCluster, type TestRedisCluster } from './helpers/redis-cluster.js';
import { waitFor } from './helpers/wait.js';
import { detectionInOwnZone } from './helpers/zone-detections.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const N = 200;
const KILL_AT = 50;
const AFTER_PROMOTION = 50;
const TOKEN = 'operator-token-cluster-test';

/** Order ids of the `order` events of a centre's `/api/events` stream, as they arrive. */
async function watchLiveOrders(httpUrl: string, signal: AbortSignal): Promise<Set<string>> {
  const seen = new Set<string>();
  const res = await fetch(`${httpUrl}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal });
  expect(res.status).toBe(200);
  void (async () => {
    let text = '';
    for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const blocks = text.split('\n\n');
      text = blocks.pop()!;
      for (const b of blocks) {
        const data = b.split('\n').find((l) => l.startsWith('data: '));
        if (b.startsWith('event: order') && data) seen.add((JSON.parse(data.slice(6)) as { order: { id: string } }).order.id);
      }
    }
  })().catch(() => undefined); // ends with the abort
  return seen;
}

describe('the centre on a Redis Cluster', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `{swcl-${id}}`;
  const dir = tempDir('sw-cluster-');
  let cluster: TestRedisCluster;
  let target: RedisTarget;
  let redis: RedisClient;
  const centers: RunningCenter[] = [];
  const clients: MqttClient[] = [];
  const live = new AbortController();
  let receiver: WebhookReceiver;
  const { logger, lines: logLines } = captureLogger();
  logger.level = 'warn';

  beforeAll(async () => {
    // 2 s, not less: on a busy machine a shorter timeout has healthy nodes suspect each other.
    cluster = await startRedisCluster({ dir, nodeTimeoutMs: 2000 });
    target = { url: 'redis://unused', cluster: { nodes: cluster.urls, failoverRetryMs: 15_000 } };
    redis = openRedis(target);
    receiver = await startWebhookReceiver();
  }, 60_000);

  afterAll(async () => {
    // The cluster goes whatever happens to the rest: a centre that cannot close must not leave it running.
    try {
      live.abort();
      for (const c of clients) await c.endAsync(true).catch(() => undefined);
      for (const c of centers) await withTimeout(c.close(), 10_000, 'closing a centre').catch(() => undefined);
      await receiver?.close();
      redis?.disconnect();
    } finally {
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  const configFor = (mqtt: Record<string, unknown>) => {
    return centerConfigSchema.parse({
      rootTopic: `swcluster-${id}/v1`, redisPrefix: prefix, redisCluster: target.cluster, dataDir: tempDir(),
      mqtt, http: { port: 0, host: '127.0.0.1' },
      users: [{ name: 'op', role: 'operator', token: TOKEN }],
      teams: [{ id: 'team-a', webhook: { url: `${receiver.url}/orders`, secret: 'cluster-secret' }, officers: [{ id: 'a1' }, { id: 'a2' }] }],
      defaultTeam: 'team-a',
      confirmation: { autoConfirm: { illegal_parking: 0.5 } },
    });
  };

  it('refuses a cluster node named as a single Redis, naming redisCluster', async () => {
    const err = await checkRedis({ url: cluster.urls[0] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REDIS_IS_CLUSTER' });
    expect((err as Error).message).toContain('redisCluster.nodes');
  });

  it('runs the device commands given any one node of the cluster as REDIS_URL', async () => {
    const owner = await cluster.masterOf(await cluster.keySlot(prefix));
    const other = cluster.nodes.find((n) => n !== owner)!;
    const added = await withRedis({ REDIS_URL: other.url }, prefix, (r) => new DeviceRegistry(r, prefix).add('pole-cli'));
    expect(added.deviceId).toBe('pole-cli');
    expect((await new DeviceRegistry(redis, prefix).get('pole-cli'))?.deviceId).toBe('pole-cli');
  });

  it('two centres lose no order when the master of the prefix\'s slot is killed mid-run', async () => {
    const config = configFor({ url: 'mqtt://127.0.0.1:1883' });
    await new DeviceRegistry(redis, prefix).add('pole-c1');
    centers.push(await startCenter({ config, instanceId: `a-${id}`, logger }));
    centers.push(await startCenter({ config, roles: ['ingest', 'worker'], instanceId: `b-${id}`, logger }));
    const [a, b] = centers;
    const liveOrders = await watchLiveOrders(a.httpUrl!, live.signal);

    const slot = await cluster.keySlot(prefix);
    const doomed = await cluster.masterOf(slot);
    const pub = await connectAsync('mqtt://127.0.0.1:1883', { clientId: `pub-${id}` });
    clients.push(pub);
    const topic = topics.detections(config.rootTopic, 'pole-c1', 'cam-1');
    const messages = Array.from({ length: N }, (_, i) => detectionInOwnZone(i, 'pole-c1'));
    // The master is killed after KILL_AT detections; the others go out while, and after, its replica takes over.
    let sent = 0;
    let killedMs = 0;
    let promotedMs = 0;
    let failover: Promise<void> | undefined;
    for (const m of messages) {
      if (sent === KILL_AT) {
        failover = (async () => {
          killedMs = Date.now();
          await cluster.kill(doomed);
          await waitFor(async () => (await cluster.masterOf(slot)).port !== doomed.port, 'a replica to take the slot over', 20_000).catch(async (err: Error) => {
            throw new Error(`${err.message}; CLUSTER NODES:\n${await cluster.cli(cluster.live()[0].port, 'CLUSTER', 'NODES')}`);
          });
          promotedMs = Date.now();
        })();
      }
      // The last ones only once the replica has taken over, however long that takes.
      if (sent === N - AFTER_PROMOTION) await failover;
      await pub.publishAsync(topic, JSON.stringify(m), { qos: 1 });
      sent++;
      await sleep(20);
    }
    await failover;
    const newMaster = await cluster.masterOf(slot);
    expect(newMaster.port).not.toBe(doomed.port);

    const store = new RedisWorkOrderStore(redis, prefix);
    const orderPosts = () => new Set(receiver.posts.filter((p) => p.kind === 'order').map((p) => p.orderId));
    await waitFor(async () => (await store.list({}, { offset: 0, limit: 1 })).total >= N && orderPosts().size >= N, 'every detection ordered and dispatched', 45_000);
    await sleep(1000); // anything late (a duplicate) would show now

    // Exactly one order per detection.
    const all = await store.list({}, { offset: 0, limit: N * 2 });
    expect(all.total).toBe(N);
    expect(all.items.map((o) => o.eventIds).flat().sort()).toEqual(messages.map((m) => m.eventId).sort());
    // Both instances took detections from the shared subscription.
    expect([a, b].every((c) => c.ingestStats!().received > 0)).toBe(true);
    // Every order's webhook delivered, and none for an order the store does not hold.
    const ids = new Set(all.items.map((o) => o.id));
    expect(orderPosts()).toEqual(ids);
    // SLA timers of every open order: yellow and red, delayed.
    const queues = createQueues(redis, prefix);
    try {
      for (const o of all.items) {
        expect(o.state).toBe('dispatched');
        expect(await queues.sla.getJobState(slaJobId(o.id, 'yellow'))).toBe('delayed');
        expect(await queues.sla.getJobState(slaJobId(o.id, 'red'))).toBe('delayed');
      }
    } finally {
      await queues.close();
    }
    // Public routes are rate limited with the count in the cluster (a Lua script of @fastify/rate-limit).
    const open311 = await fetch(`${a.httpUrl}/open311/v2/services.json`);
    expect(open311.status).toBe(200);
    expect(Number(open311.headers.get('x-ratelimit-remaining'))).toBe(config.http.rateLimit.publicRequests - 1);
    expect(await redis.get(`${prefix}:rate-limit:127.0.0.1:public`)).toBe('1');
    // Device messages waited for the replica to hold them; the promoted master has none, so after
    // the kill they are acknowledged without one (told in the log).
    const noReplica = logLines.filter((l) => String(l.msg).startsWith('ingest journal: no replica')).map((l) => l.time as number);
    expect(noReplica.length).toBeGreaterThan(0);
    expect(noReplica.filter((t) => t < killedMs)).toEqual([]);
    // Live events (pub/sub: fire and forget, a console reloads after a gap) reached the console's
    // stream for the orders made before the kill and for those made once the replica had taken
    // over and the relay had moved its subscription (within a second). An order committed in the
    // last moment before the kill may have had its event die with the master, unsent to the relay.
    const made = (o: { createdAt: string }) => Date.parse(o.createdAt);
    const before = all.items.filter((o) => made(o) < killedMs - 250);
    const after = all.items.filter((o) => made(o) > promotedMs + 1000);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(before.filter((o) => !liveOrders.has(o.id))).toEqual([]);
    expect(after.filter((o) => !liveOrders.has(o.id))).toEqual([]);
  }, 120_000);

  it('an embedded broker journals detections and keeps a session\'s queued messages on the cluster across a restart', async () => {
    const config = configFor({ port: 0, host: '127.0.0.1', password: 'centre-broker-password' });
    const { username, password } = await new DeviceRegistry(redis, prefix).add('pole-e1');
    const start = async () => {
      const c = await startCenter({ config, roles: ['ingest', 'worker'], instanceId: `e-${id}`, logger });
      centers.push(c);
      return c;
    };
    const deviceOptions = { username, password, clientId: 'pole-e1', clean: false, reconnectPeriod: 0 };
    const first = await start();
    const desiredTopic = topics.configDesired(config.rootTopic, 'pole-e1');
    const device = await connectAsync(first.mqttUrl, deviceOptions);
    clients.push(device);
    await device.subscribeAsync(desiredTopic, { qos: 1 });
    const d = detectionInOwnZone(0, 'pole-e1');
    await device.publishAsync(topics.detections(config.rootTopic, 'pole-e1', 'cam-1'), JSON.stringify(d), { qos: 1 });
    const store = new RedisWorkOrderStore(redis, prefix);
    const order = await waitFor(() => store.findByEvent(d.eventId), 'the order of the detection sent through the embedded broker');
    expect(order.eventIds).toEqual([d.eventId]);
    await device.endAsync();
    expect(await redis.smembers(`${prefix}:mqtt:clients`)).toContain('pole-e1');

    // A new broker process: the offline session and its subscription come from the cluster.
    await first.close();
    centers.splice(centers.indexOf(first), 1);
    const second = await start();
    const centre = await connectAsync(second.mqttUrl, { username: second.broker!.center.username, password: second.broker!.center.password, clientId: `${CENTER_CLIENT_IDS.api}cluster-${id}` });
    clients.push(centre);
    await centre.publishAsync(desiredTopic, JSON.stringify({ queued: id }), { qos: 1 });
    const received: unknown[] = [];
    const again = connect(second.mqttUrl, deviceOptions);
    clients.push(again);
    again.on('message', (topic, payload) => {
      if (topic === desiredTopic) received.push(JSON.parse(payload.toString()));
    });
    await waitFor(() => received.length > 0, 'the message queued for the offline session');
    await sleep(300);
    expect(received).toEqual([{ queued: id }]);
  }, 60_000);

  it('de-duplicates reports by place (the GEO index in the order\'s commit) on the cluster', async () => {
    const store = new RedisWorkOrderStore(redis, prefix);
    const at = new Date().toISOString();
    const input = (lat: number): OpenReportInput => ({
      report: { id: ulid(), source: 'inspector', user: 'ivy', description: '', location: { lat, long: 118.78 }, receivedAt: at, evidenceIds: [] },
      type: 'obstruction', evidence: [], team: 'team-a', assignee: null, confirmed: false, deadlineAt: at, near: { radiusMeters: 50, windowMs: 3_600_000 }, nowIso: at,
    });
    // Three at one spot race (one order); the fourth is ~1 km away (its own).
    const results = await Promise.all([32.05, 32.0501, 32.0502, 32.06].map((lat) => store.openReport(input(lat))));
    expect(new Set(results.slice(0, 3).map((r) => r.order.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(2);
    expect(results[3].order.id).not.toBe(results[0].order.id);
    expect((await store.list({ reporter: 'ivy' }, { offset: 0, limit: 10 })).total).toBe(2);
  });

  // Keys a Lua script builds itself (BullMQ's, the order snapshot's) are not checked by Redis when
  // their slot is on the same node: only this shows that nothing left the prefix's slot.
  it('wrote every key (queues, orders, journal, broker sessions) in the prefix\'s slot', async () => {
    const slot = await cluster.keySlot(prefix);
    const owner = await cluster.masterOf(slot);
    const inSlot = Number(await cluster.cli(owner.port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot)));
    expect(inSlot).toBeGreaterThan(N);
    const sizes = await Promise.all(cluster.live().map(async (n) => ({ port: n.port, role: (await cluster.cli(n.port, 'ROLE')).split('\n')[0], keys: Number(await cluster.cli(n.port, 'DBSIZE')) })));
    const masters = sizes.filter((n) => n.role === 'master');
    expect(masters).toHaveLength(3);
    expect(masters.map((m) => m.keys).sort((x, y) => x - y)).toEqual([0, 0, inSlot]);
  });
});

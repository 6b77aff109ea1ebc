/**
 * A focused measurement of the worker's two stages, without the ingest and the bench's ramp:
 * centre CPU per detection to make its order (detection job → order commit → outbox drained into a
 * dispatch job) and to deliver it (dispatch job → MQTT team topic + webhook). The worker role's
 * pieces as center/start.ts wires them, on the real Redis (throw-away prefix) and the Mosquitto on
 * 127.0.0.1:1883 (`SW_BENCH_MQTT_URL`), with a webhook receiver in this process.
 *
 *   node dist/bench/order-stage.js            # SW_BENCH_DETECTIONS=2000 SW_BENCH_PER_SCOPE=10
 *
 * Its compiled file runs against whichever dist/ it sits in, so two builds can be compared in
 * alternation on a loaded machine (CPU per detection, not rates, is what it prints).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { connectAsync } from 'mqtt';
import { centerConfigSchema } from '../center/config.js';
import { withOrderEvents } from '../center/live/live-orders.js';
import { livePublisher } from '../center/live/live-relay.js';
import { createMetricsWriter } from '../center/metrics/influx-writer.js';
import { createLogger } from '../common/logger.js';
import type { DetectionMessage } from '../contract/index.js';
import { startDetectionWorker } from '../ticketing/detection-worker.js';
import { startDispatcher } from '../ticketing/dispatcher.js';
import { OutboxDrainer } from '../ticketing/outbox-drainer.js';
import { createQueues, detectionJobId } from '../ticketing/queues.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { Workflow } from '../ticketing/workflow.js';

const REDIS_URL = process.env.SW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MQTT_URL = process.env.SW_BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const N = Number(process.env.SW_BENCH_DETECTIONS ?? 2000);
/** Open orders per de-dup scope at the end (bench:center's scopes hold ~10–20 by its stage phase). */
const PER_SCOPE = Number(process.env.SW_BENCH_PER_SCOPE ?? 10);
const WARM_UP = 300;

const logger = createLogger('bench-order-stage');
const prefix = `{swbench-order-${randomBytes(4).toString('hex')}}`;
const root = `swbench-${randomBytes(3).toString('hex')}/v1`;
const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-order-'));

let delivered = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    delivered++;
    res.writeHead(200).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));

const config = centerConfigSchema.parse({
  rootTopic: root, redisUrl: REDIS_URL, redisPrefix: prefix, dataDir,
  http: { port: 0, host: '127.0.0.1', linkSecret: randomBytes(32).toString('hex') },
  teams: [{
    id: 'bench', webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/orders`, secret: 'bench-webhook-secret' },
    officers: [{ id: 'o1' }, { id: 'o2' }, { id: 'o3' }, { id: 'o4' }],
  }],
  defaultTeam: 'bench',
  confirmation: { autoConfirm: { illegal_parking: 0.1, street_vending: 0.1 } },
  dedupe: { iou: 0.5 },
});

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queues = createQueues(redis, prefix);
const store = withOrderEvents(new RedisWorkOrderStore(redis, prefix, { logger }), livePublisher(redis, prefix, logger));
const workflow = new Workflow({ config, store, metrics: createMetricsWriter(undefined), logger });
const mqtt = await connectAsync(MQTT_URL, { clientId: `swbench-order-${process.pid}`, clean: true });

/** Detection `i` of a batch: PER_SCOPE boxes that do not overlap in each scope, so each opens its own order. */
function detection(i: number, scopes: number, tag: string): DetectionMessage {
  const now = new Date().toISOString();
  const scope = i % scopes;
  const cell = Math.floor(i / scopes);
  const x = (cell % 10) / 10;
  const y = Math.floor(cell / 10) / 10;
  return {
    v: 1, eventId: `${tag}${String(i).padStart(8, '0')}`, seq: 0, deviceId: `pole-${scope % 16}`, cameraId: `cam-${Math.floor(scope / 16)}`, zoneId: `z-${tag}`,
    type: 'illegal_parking', state: 'started', label: 'car', confidence: 0.9, bbox: { x1: x, y1: y, x2: x + 0.08, y2: y + 0.08 },
    firstSeenAt: now, discoveredAt: now, sentAt: now, evidence: [],
  };
}

/** Redis commands this process sent (every client: BullMQ's, the store's, the drainer's): steady where CPU figures drift. */
let commands = 0;
/** Per command name (EVALSHA by script), printed with SW_BENCH_COMMANDS=1. */
const byName = new Map<string, number>();
const send = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  commands++;
  const [cmd] = args;
  const name = cmd.name === 'evalsha' ? `evalsha ${String(cmd.args[0]).slice(0, 8)}` : cmd.name;
  byName.set(name, (byName.get(name) ?? 0) + 1);
  return send.apply(this, args);
};

/** Socket writes of this process (Redis, MQTT, webhooks: each a system call): what pipelining saves. */
let writes = 0;
const proto = Socket.prototype as unknown as { _writeGeneric: (...a: unknown[]) => unknown };
const writeGeneric = proto._writeGeneric;
proto._writeGeneric = function (this: Socket, ...args: unknown[]) {
  writes++;
  return writeGeneric.apply(this, args);
};

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function waitFor(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 300_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await done()); await sleep(20)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
  }
}

/** One batch through both stages; returns CPU ms per detection of each. */
async function run(count: number, tag: string): Promise<{ order: number; dispatch: number; orderCmds: number; dispatchCmds: number; orderWrites: number; dispatchWrites: number }> {
  await Promise.all([queues.detections.pause(), queues.dispatch.pause()]);
  const scopes = Math.max(1, Math.ceil(count / PER_SCOPE));
  const jobs = Array.from({ length: count }, (_, i) => detection(i, scopes, tag));
  await queues.detections.addBulk(jobs.map((d) => ({ name: 'detection', data: d, opts: { jobId: detectionJobId(d.eventId, d.seq), removeOnComplete: true } })));
  const queued = async () => (await queues.dispatch.getJobCounts('wait')).wait ?? 0;
  const before = await queued();
  const deliveredBefore = delivered;

  byName.clear();
  const [t0, c0, w0] = [cpuMs(), commands, writes];
  await queues.detections.resume();
  await waitFor('the orders', async () => (await queued()) - before >= count);
  const [t1, c1, w1] = [cpuMs(), commands, writes];
  await queues.dispatch.resume();
  await waitFor('the webhooks', () => delivered - deliveredBefore >= count);
  const [t2, c2, w2] = [cpuMs(), commands, writes];
  return { order: (t1 - t0) / count, dispatch: (t2 - t1) / count, orderCmds: (c1 - c0) / count, dispatchCmds: (c2 - c1) / count,
    orderWrites: (w1 - w0) / count, dispatchWrites: (w2 - w1) / count };
}

const detectionWorker = startDetectionWorker({ connection: redis, prefix, workflow, logger });
const drainer = new OutboxDrainer({ redis, prefix, queues, consumer: 'bench', logger });
drainer.start();
const dispatcher = startDispatcher({ connection: redis, prefix, store, config, mqtt, logger });
try {
  await run(WARM_UP, 'W'); // JIT, connections, scripts loaded
  const r = await run(N, 'M');
  console.log(`order stage CPU per detection ${r.order.toFixed(3)} ms, dispatch ${r.dispatch.toFixed(3)} ms, together ${(r.order + r.dispatch).toFixed(3)} ms` +
    ` (${N} detections, ${PER_SCOPE} open orders per scope, this process incl. the webhook receiver);` +
    ` Redis commands per detection: order ${r.orderCmds.toFixed(1)}, dispatch ${r.dispatchCmds.toFixed(1)};` +
    ` socket writes per detection: order ${r.orderWrites.toFixed(1)}, dispatch ${r.dispatchWrites.toFixed(1)}`);
  if (process.env.SW_BENCH_COMMANDS) for (const [name, n] of [...byName].sort((a, b) => b[1] - a[1])) console.log(`  ${name}: ${(n / N).toFixed(2)} per detection`);
} finally {
  await dispatcher.close();
  await drainer.close();
  await detectionWorker.close();
  await queues.detections.obliterate({ force: true }).catch(() => undefined);
  await queues.dispatch.obliterate({ force: true }).catch(() => undefined);
  await queues.sla.obliterate({ force: true }).catch(() => undefined);
  await queues.close();
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    if ((cursor = next) === '0') break;
  }
  await mqtt.endAsync();
  await redis.quit();
  receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
}

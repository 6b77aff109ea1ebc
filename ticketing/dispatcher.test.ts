/**
 * The dispatcher against the real things: Redis + BullMQ, a node:http receiver on 127.0.0.1 and
 * Mosquitto on 127.0.0.1:1883. Each test has its own BullMQ prefix and MQTT root.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DELIVERY, teamOrderMessage } from '../contract/index.js';
import type { CenterConfig } from '../center/config.js';
import { DEFAULT_BACKOFF, dispatchFailures, enqueueDispatch, retryDelay, startDispatcher, type Dispatcher, type DispatcherOptions } from './dispatcher.js';
import { createQueues, type Queues } from './queues.js';
import { RedisWorkOrderStore } from './work-order-store.js';
import { verifySignature } from './webhook.js';
import type { WorkOrder } from './work-order.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { openTestOrder } from './test-orders.js';

const TEAM_SECRET = 'team-secret-0001';
const SUP_SECRET = 'supervisor-secret-0001';
const PLATE = '苏ED51712';

// ---------------------------------------------------------------------------------------------
// Test scaffolding

const openOrder = (opts: { discoveredAtMs?: number; confirmed?: boolean } = {}): Promise<WorkOrder> =>
  openTestOrder(store, { ...opts, plate: PLATE });

interface Hit {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: { kind: string; order: WorkOrder; note?: string };
}

interface Receiver {
  url: string;
  port: number;
  hits: Hit[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A webhook receiver; `status(n)` answers the n-th request (0-based). Start it later to play "down". */
async function makeReceiver(status: (n: number) => number = () => 200, port?: number): Promise<Receiver> {
  const hits: Hit[] = [];
  let server: Server | undefined;
  if (port === undefined) {
    // Reserve a free port, then release it so the receiver can come up there later.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
  }
  const rcv: Receiver = {
    url: `http://127.0.0.1:${port}/orders`,
    port,
    hits,
    async start() {
      let n = 0;
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const raw = Buffer.concat(chunks);
          hits.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) });
          res.writeHead(status(n++)).end();
        });
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async stop() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
      server = undefined;
    },
  };
  return rcv;
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

function centerConfig(teamUrl: string | null, supUrl: string | null, retryForMinutes = 30): Pick<CenterConfig, 'teams' | 'rootTopic' | 'dispatch'> {
  return {
    rootTopic: `swtest-${randomBytes(4).toString('hex')}/v1`,
    teams: [
      {
        id: 'team-north',
        officers: [{ id: 'li', onDuty: true }],
        ...(teamUrl ? { webhook: { url: teamUrl, secret: TEAM_SECRET } } : {}),
        ...(supUrl ? { supervisorWebhook: { url: supUrl, secret: SUP_SECRET } } : {}),
      },
    ],
    dispatch: { retryForMinutes, timeoutMs: 1000 },
  };
}

// ---------------------------------------------------------------------------------------------

let redis: Redis;
let queues: Queues;
let store: RedisWorkOrderStore;
let client: MqttClient;
let prefix: string;
let dispatcher: Dispatcher | undefined;
/** Receivers and extra MQTT clients to stop after each test. */
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  prefix = `{swtest-${randomBytes(6).toString('hex')}}`;
  queues = createQueues(redis, prefix);
  store = new RedisWorkOrderStore(redis, prefix);
  client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `swtest-disp-${randomBytes(4).toString('hex')}` });
});

afterEach(async () => {
  await dispatcher?.close();
  dispatcher = undefined;
  await Promise.all(cleanups.splice(0).map((stop) => stop()));
  await Promise.all([queues.detections.obliterate({ force: true }), queues.dispatch.obliterate({ force: true }), queues.sla.obliterate({ force: true })]);
  await queues.close();
  await deleteKeys(redis, `${prefix}:wo`);
  await client.endAsync();
  await redis.quit();
});

async function setup(opts: { teamStatus?: (n: number) => number; supervisor?: boolean; teamWebhook?: boolean; startTeam?: boolean; retryForMinutes?: number; push?: DispatcherOptions['push'] } = {}) {
  const team = await makeReceiver(opts.teamStatus);
  const sup = await makeReceiver();
  cleanups.push(() => team.stop(), () => sup.stop());
  if (opts.startTeam !== false) await team.start();
  await sup.start();
  const config = centerConfig(opts.teamWebhook === false ? null : team.url, opts.supervisor === false ? null : sup.url, opts.retryForMinutes);
  const { logger, lines } = captureLogger();
  const dispOpts: DispatcherOptions = {
    connection: redis,
    prefix,
    store,
    config,
    mqtt: client,
    logger,
    backoff: { baseDelayMs: 200, maxDelayMs: 1000 },
    ...(opts.push ? { push: opts.push } : {}),
  };
  // Officers' app: subscribed before anything is sent.
  const officer = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `swtest-app-${randomBytes(4).toString('hex')}` });
  const onTopic: Array<{ topic: string; msg: { kind: string; order: WorkOrder; idempotencyKey: string; note?: string }; qos: number }> = [];
  officer.on('message', (topic, payload, packet) => onTopic.push({ topic, msg: JSON.parse(payload.toString('utf8')), qos: packet.qos }));
  await officer.subscribeAsync(`${config.rootTopic}/teams/+/orders`, { qos: 1 });
  cleanups.push(() => officer.endAsync());
  dispatcher = startDispatcher(dispOpts);
  await dispatcher.worker.waitUntilReady();
  return { team, sup, config, lines, onTopic };
}

const jobState = async (id: string) => (await queues.dispatch.getJob(id))?.getState();

// ---------------------------------------------------------------------------------------------

describe('retry policy', () => {
  it('doubles from 2 s, caps at 5 min and keeps trying for at least retryForMinutes', () => {
    const policy = { ...DEFAULT_BACKOFF, retryForMs: 30 * 60_000 };
    const delays: number[] = [];
    let t = 0;
    for (let attempt = 1; ; attempt++) {
      const d = retryDelay(policy, attempt, 0, t);
      if (d < 0) break;
      delays.push(d);
      t += d;
    }
    expect(delays.slice(0, 4)).toEqual([2000, 4000, 8000, 16000]);
    expect(Math.max(...delays)).toBe(5 * 60_000);
    expect(t).toBeGreaterThanOrEqual(30 * 60_000);
    expect(t).toBeLessThan(36 * 60_000);
    expect(delays.length + 1).toBeLessThan(1000);
  });
});

describe('dispatcher', () => {
  it('rings the officers\' phones (Web Push) with an order notice, once, and not for other kinds', async () => {
    const rung: Array<{ officers: readonly string[]; orderId: string }> = [];
    const { team } = await setup({
      push: {
        notify: async (officers, notice) => {
          rung.push({ officers, orderId: notice.orderId });
          return officers.length;
        },
      },
    });
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'update', audience: 'team' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'sla_red', audience: 'supervisor' });
    await until(() => team.hits.length === 2, 15_000, 'team notices');
    expect(rung).toEqual([{ officers: order.assignee ? [order.assignee] : ['li'], orderId: order.id }]);
  });

  it('POSTs a signed order to the team webhook and publishes it on the team topic', async () => {
    const { team, config, onTopic } = await setup();
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team', note: 'go' });

    await until(() => team.hits.length === 1 && onTopic.length === 1, 10_000, 'webhook and MQTT');
    const hit = team.hits[0];
    expect(verifySignature(TEAM_SECRET, hit.raw, hit.headers['x-streetwatch-signature'])).toBe(true);
    expect(hit.headers['idempotency-key']).toBe(`${order.id}:order:1`);
    expect(hit.headers['x-streetwatch-event']).toBe('order');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.body.kind).toBe('order');
    expect(hit.body.note).toBe('go');
    expect(hit.body.order.id).toBe(order.id);
    expect(hit.body.order.plate?.text).toBe(PLATE); // officers see the full plate

    expect(onTopic[0].topic).toBe(`${config.rootTopic}/teams/team-north/orders`);
    expect(onTopic[0].msg.kind).toBe('order');
    expect(onTopic[0].msg.order.plate?.text).toBe(PLATE);
    expect(onTopic[0].msg.idempotencyKey).toBe(`${order.id}:order:1`);
    // The contract's message exactly (parse drops keys it does not know), at the contract's QoS.
    expect(teamOrderMessage.parse(onTopic[0].msg)).toEqual(onTopic[0].msg);
    expect(onTopic[0].qos).toBe(DELIVERY.teamOrders.qos);
    await until(async () => (await jobState(`${order.id}-team-order-1`)) === 'completed', 5000, 'completed');
  });

  it('sends supervisors a masked plate and no MQTT copy', async () => {
    const { sup, team, onTopic } = await setup();
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'sla_red', audience: 'supervisor' });
    await until(() => sup.hits.length === 1, 10_000, 'supervisor webhook');
    const hit = sup.hits[0];
    expect(verifySignature(SUP_SECRET, hit.raw, hit.headers['x-streetwatch-signature'])).toBe(true);
    expect(verifySignature(TEAM_SECRET, hit.raw, hit.headers['x-streetwatch-signature'])).toBe(false);
    expect(hit.headers['idempotency-key']).toBe(`${order.id}:sla_red:1:supervisor`);
    expect(hit.body.order.plate?.text).toBe('苏E·D5***2');
    expect(hit.raw.toString('utf8')).not.toContain(PLATE);
    await sleep(300);
    expect(onTopic).toHaveLength(0);
    expect(team.hits).toHaveLength(0);
  });

  it('skips, with a log line, a supervisor notice when the team has no supervisor webhook', async () => {
    const { lines } = await setup({ supervisor: false });
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'sla_yellow', audience: 'supervisor' });
    const id = `${order.id}-supervisor-sla_yellow-1`;
    await until(async () => (await jobState(id)) === 'completed', 5000, 'completed');
    expect((await queues.dispatch.getJob(id))?.returnvalue).toBe('no-webhook');
    expect(lines.some((l) => l.orderId === order.id && String(l.msg).includes('no supervisor webhook'))).toBe(true);
  });

  it('delivers once the receiver comes back, once per idempotency key, signature valid', async () => {
    const { team, onTopic } = await setup({ startTeam: false });
    const a = await openOrder();
    const b = await openOrder();
    await enqueueDispatch(queues, { orderId: a.id, kind: 'order', audience: 'team' });
    await enqueueDispatch(queues, { orderId: b.id, kind: 'order', audience: 'team' });
    // A duplicate enqueue (a retried detection job, a second instance) is the same job.
    await enqueueDispatch(queues, { orderId: a.id, kind: 'order', audience: 'team' });

    await sleep(3000);
    expect(team.hits).toHaveLength(0);
    const failedAttempts = (await queues.dispatch.getJob(`${a.id}-team-order-1`))!.attemptsMade;
    expect(failedAttempts).toBeGreaterThanOrEqual(2);
    await team.start();

    await until(async () => (await jobState(`${a.id}-team-order-1`)) === 'completed' && (await jobState(`${b.id}-team-order-1`)) === 'completed', 10_000, 'both delivered');
    await sleep(1500); // room for any stray retry to show up
    const keys = team.hits.map((h) => h.headers['idempotency-key']);
    expect(keys.sort()).toEqual([`${a.id}:order:1`, `${b.id}:order:1`].sort());
    for (const h of team.hits) expect(verifySignature(TEAM_SECRET, h.raw, h.headers['x-streetwatch-signature'])).toBe(true);
    // MQTT went out on the first attempt and was not repeated while the webhook retried.
    expect(onTopic.map((m) => m.msg.order.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('retries a receiver answering 500 twice, then 200', async () => {
    const { team, onTopic, lines } = await setup({ teamStatus: (n) => (n < 2 ? 500 : 200) });
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team' });
    await until(() => team.hits.length === 3, 10_000, 'three attempts');
    await until(async () => (await jobState(`${order.id}-team-order-1`)) === 'completed', 5000, 'completed');
    expect(new Set(team.hits.map((h) => h.headers['idempotency-key']))).toEqual(new Set([`${order.id}:order:1`]));
    for (const h of team.hits) expect(verifySignature(TEAM_SECRET, h.raw, h.headers['x-streetwatch-signature'])).toBe(true);
    expect(onTopic).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'dispatch attempt failed; retrying' && l.status === 500)).toHaveLength(2);
  });

  it('keeps a notification it gave up on in the failed set, logs it and lists it', async () => {
    // 1.2 s of retrying against a receiver that always fails.
    const { team, lines } = await setup({ teamStatus: () => 503, retryForMinutes: 0.02 });
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team' });
    const id = `${order.id}-team-order-1`;
    await until(async () => (await jobState(id)) === 'failed', 10_000, 'failed');
    expect(team.hits.length).toBeGreaterThanOrEqual(3);
    const failures = await dispatchFailures(queues);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ jobId: id, orderId: order.id, kind: 'order', audience: 'team', idempotencyKey: `${order.id}:order:1` });
    expect(failures[0].attempts).toBe(team.hits.length);
    expect(failures[0].failedReason).toMatch(/503/);
    expect(lines.some((l) => l.code === 'DISPATCH_GAVE_UP' && l.orderId === order.id && l.level === 50)).toBe(true);
  });

  it('counts the retry window from the first attempt, not from enqueueing (the centre was down)', async () => {
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team' });
    await sleep(1500); // longer than the whole 1.2 s window, with no dispatcher running
    const { team } = await setup({ teamStatus: () => 503, retryForMinutes: 0.02 });
    const id = `${order.id}-team-order-1`;
    await until(async () => (await jobState(id)) === 'failed', 10_000, 'failed');
    expect(team.hits.length).toBeGreaterThanOrEqual(3);
    const job = (await queues.dispatch.getJob(id))!;
    expect(job.finishedOn! - (job.progress as { firstAttemptAt: number }).firstAttemptAt).toBeGreaterThanOrEqual(1200);
  });

  it('sends each update without a seq, and an update with a seq once', async () => {
    const { team } = await setup();
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'update', audience: 'team', note: 'photo 1' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'update', audience: 'team', note: 'photo 2' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'update', audience: 'team', note: 'ended' }, { seq: 7 });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'update', audience: 'team', note: 'ended' }, { seq: 7 });
    await until(() => team.hits.length === 3, 10_000, 'three updates');
    await sleep(500);
    expect(team.hits.map((h) => h.body.note).sort()).toEqual(['ended', 'photo 1', 'photo 2']);
    expect(team.hits.find((h) => h.body.note === 'ended')?.headers['idempotency-key']).toBe(`${order.id}:update:7`);
  });

  it('does not send escalations about an order that closed meanwhile, but does send its stand-down', async () => {
    const { team } = await setup();
    const order = await openOrder();
    await store.transition(order.id, 'self_cleared', 'edge');
    await enqueueDispatch(queues, { orderId: order.id, kind: 'sla_red', audience: 'team' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'stand_down', audience: 'team' });
    await until(async () => (await jobState(`${order.id}-team-stand_down-1`)) === 'completed' && (await jobState(`${order.id}-team-sla_red-1`)) === 'completed', 5000, 'both handled');
    expect(team.hits.map((h) => h.body.kind)).toEqual(['stand_down']);
  });

  it("delivers one order's notices to a team one at a time, in the order they were queued, though the first is slow", async () => {
    // The team's receiver takes 800 ms over the first notice and answers the others at once.
    const seen: string[] = [];
    const slow = createServer((req, res) => {
      const kind = String(req.headers['x-streetwatch-event']);
      seen.push(`start ${kind}`);
      req.resume();
      req.on('end', () => setTimeout(() => {
        seen.push(`end ${kind}`);
        res.writeHead(200).end();
      }, seen.length === 1 ? 800 : 0));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    });
    const config = centerConfig(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/orders`, null);
    dispatcher = startDispatcher({ connection: redis, prefix, store, config, mqtt: client, logger: pino({ level: 'silent' }), backoff: { baseDelayMs: 200, maxDelayMs: 1000 } });
    await dispatcher.worker.waitUntilReady();
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team', team: 'team-north' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'stand_down', audience: 'team', team: 'team-north' });
    await until(() => seen.length === 4, 10_000, 'both notices answered');
    expect(seen).toEqual(['start order', 'end order', 'start stand_down', 'end stand_down']);
  });

  it('holds the next notice of the order back while the one before it is retried', async () => {
    const { team } = await setup({ teamStatus: (n) => (n === 0 ? 500 : 200), supervisor: false });
    const order = await openOrder();
    await enqueueDispatch(queues, { orderId: order.id, kind: 'order', audience: 'team', team: 'team-north' });
    await enqueueDispatch(queues, { orderId: order.id, kind: 'stand_down', audience: 'team', team: 'team-north' });
    await until(() => team.hits.length === 3, 10_000, 'the order twice, then the stand-down');
    expect(team.hits.map((h) => h.body.kind)).toEqual(['order', 'order', 'stand_down']);
  });
  it("lets a delivered notice's line expire within minutes, and keeps it for the retries of a failed one", async () => {
    let up = false;
    const { team } = await setup({ teamStatus: () => (up ? 200 : 500), supervisor: false });
    const line = (o: WorkOrder) => `${prefix}:dispatch:line:${o.id}:team:team-north`;
    const failedFirst = await openOrder();
    await enqueueDispatch(queues, { orderId: failedFirst.id, kind: 'order', audience: 'team', team: 'team-north' });
    await until(async () => (await queues.dispatch.getJob(`${failedFirst.id}-team-order-1`))?.attemptsMade === 1, 5000, 'the failed attempt');
    expect(await redis.pttl(line(failedFirst))).toBeGreaterThan(24 * 3600_000); // held for its retries
    up = true;
    await until(async () => (await jobState(`${failedFirst.id}-team-order-1`)) === 'completed', 10_000, 'the retry');
    expect(team.hits.length).toBeGreaterThanOrEqual(2);

    const delivered = await openOrder();
    await enqueueDispatch(queues, { orderId: delivered.id, kind: 'order', audience: 'team', team: 'team-north' });
    await until(async () => (await jobState(`${delivered.id}-team-order-1`)) === 'completed', 5000, 'delivered');
    const ttl = await redis.pttl(line(delivered));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
  });
});

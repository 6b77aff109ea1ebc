/**
 * SLA timers on real Redis + BullMQ, with the real dispatcher POSTing escalations to node:http
 * receivers. A 0.05-minute target (3 s) puts yellow at 1.5 s and red at 3 s.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDispatcher, type Dispatcher } from './dispatcher.js';
import { createQueues, type Queues, type SlaJob } from './queues.js';
import { escalationTimes, type SlaConfig } from './sla.js';
import { cancelSla, slaJobId, slaTimerJobs, startSlaWorker, type SlaOutcome } from './sla-timers.js';
import { RedisWorkOrderStore } from './work-order-store.js';
import { verifySignature } from './webhook.js';
import type { SlaLevel, WorkOrder } from './work-order.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { openTestOrder } from './test-orders.js';

const SLA = { targetMinutes: 0.05, yellowAt: 0.5, redAt: 1 };
const TEAM_SECRET = 'team-secret-0001';
const SUP_SECRET = 'supervisor-secret-0001';
const PLATE = '苏ED51712';
const TOLERANCE_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Test scaffolding

/**
 * The real store, noting when setSla is called (the moment a timer acted). The call is listed once
 * the write is done, so a test that saw it can read the level back (under load it was listed first
 * and read back before Redis had the new level).
 */
class RecordingStore extends RedisWorkOrderStore {
  readonly slaCalls: Array<{ id: string; level: SlaLevel; at: number }> = [];
  override async setSla(id: string, level: SlaLevel): Promise<WorkOrder> {
    const at = Date.now();
    const order = await super.setSla(id, level);
    this.slaCalls.push({ id, level, at });
    return order;
  }
}

/** What the outbox drainer does with an order's `sla` effect. */
const scheduleSla = (queues: Queues, order: WorkOrder, sla: SlaConfig, nowMs: number) =>
  queues.sla.addBulk(slaTimerJobs(order.id, escalationTimes(Date.parse(order.discoveredAt), sla), nowMs));

const openOrder = (discoveredAtMs: number, confirmed = true): Promise<WorkOrder> =>
  openTestOrder(store, { discoveredAtMs, confirmed, plate: PLATE });


interface Hit {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: { kind: string; order: WorkOrder };
  at: number;
}

async function receiver(): Promise<{ url: string; hits: Hit[]; stop(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      hits.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')), at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = pino({ level: 'silent' });

// ---------------------------------------------------------------------------------------------

let redis: Redis;
let prefix: string;
let queues: Queues;
let store: RecordingStore;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  prefix = `{swtest-${randomBytes(6).toString('hex')}}`;
  queues = createQueues(redis, prefix);
  store = new RecordingStore(redis, prefix);
});

afterEach(async () => {
  // Workers first (LIFO), then the queues they work on.
  for (const stop of cleanups.splice(0).reverse()) await stop();
  await Promise.all([queues.detections.obliterate({ force: true }), queues.dispatch.obliterate({ force: true }), queues.sla.obliterate({ force: true })]);
  await queues.close();
  await deleteKeys(redis, `${prefix}:wo`);
  await redis.quit();
});

function slaWorker(connection: Redis = redis) {
  const w = startSlaWorker({ connection, prefix, store, queues, logger: silent });
  const outcomes: Array<{ jobId: string; outcome: SlaOutcome; data: SlaJob }> = [];
  const started: string[] = [];
  w.worker.on('active', (job) => started.push(String(job.id)));
  w.worker.on('completed', (job, outcome) => outcomes.push({ jobId: String(job.id), outcome, data: job.data }));
  cleanups.push(() => w.close());
  return { ...w, outcomes, started };
}

async function dispatcherWithReceivers(): Promise<{ team: Awaited<ReturnType<typeof receiver>>; sup: Awaited<ReturnType<typeof receiver>>; dispatcher: Dispatcher }> {
  const team = await receiver();
  const sup = await receiver();
  const client: MqttClient = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `swtest-sla-${randomBytes(4).toString('hex')}` });
  cleanups.push(() => team.stop(), () => sup.stop(), () => client.endAsync());
  const dispatcher = startDispatcher({
    connection: redis,
    prefix,
    store,
    mqtt: client,
    logger: silent,
    backoff: { baseDelayMs: 100, maxDelayMs: 500 },
    config: {
      rootTopic: `swtest-${randomBytes(4).toString('hex')}/v1`,
      dispatch: { retryForMinutes: 1, timeoutMs: 1000 },
      teams: [{ id: 'team-north', officers: [], webhook: { url: team.url, secret: TEAM_SECRET }, supervisorWebhook: { url: sup.url, secret: SUP_SECRET } }],
    },
  });
  cleanups.push(() => dispatcher.close());
  return { team, sup, dispatcher };
}

const kinds = (hits: Hit[], orderId: string) => hits.filter((h) => h.body.order.id === orderId).map((h) => h.body.kind);

// ---------------------------------------------------------------------------------------------

describe('SLA timers', () => {
  it('fire yellow then red on time, set the level and notify team and supervisor', async () => {
    const { team, sup } = await dispatcherWithReceivers();
    const w = slaWorker();
    await w.worker.waitUntilReady();
    const t0 = Date.now();
    const order = await openOrder(t0);
    await scheduleSla(queues, order, SLA, Date.now());

    await until(() => store.slaCalls.length === 2, 10_000, 'yellow and red');
    const [yellow, red] = store.slaCalls;
    expect(yellow).toMatchObject({ id: order.id, level: 'yellow' });
    expect(red).toMatchObject({ id: order.id, level: 'red' });
    const yellowDue = t0 + 1500;
    const redDue = t0 + 3000;
    expect(yellow.at).toBeGreaterThanOrEqual(yellowDue - 50);
    expect(yellow.at - yellowDue).toBeLessThan(TOLERANCE_MS);
    expect(red.at).toBeGreaterThanOrEqual(redDue - 50);
    expect(red.at - redDue).toBeLessThan(TOLERANCE_MS);
    expect((await store.get(order.id))?.sla).toBe('red');

    await until(() => team.hits.length === 2 && sup.hits.length === 2, 10_000, 'notifications');
    expect(kinds(team.hits, order.id)).toEqual(['sla_yellow', 'sla_red']);
    expect(kinds(sup.hits, order.id)).toEqual(['sla_yellow', 'sla_red']);
    for (const h of team.hits) {
      expect(verifySignature(TEAM_SECRET, h.raw, h.headers['x-streetwatch-signature'])).toBe(true);
      expect(h.body.order.plate?.text).toBe(PLATE);
    }
    for (const h of sup.hits) {
      expect(verifySignature(SUP_SECRET, h.raw, h.headers['x-streetwatch-signature'])).toBe(true);
      expect(h.body.order.plate?.text).toBe('苏E·D5***2');
    }
    expect(team.hits[0].at - yellowDue).toBeLessThan(TOLERANCE_MS + 500);
    expect(team.hits[1].at - redDue).toBeLessThan(TOLERANCE_MS + 500);
  });

  it('gives no red to an order closed before its deadline', async () => {
    const { team, sup } = await dispatcherWithReceivers();
    const w = slaWorker();
    await w.worker.waitUntilReady();
    const t0 = Date.now();
    // closedLate: closed after yellow, timers left in place — the worker itself must see it closed.
    // cancelled: closed before yellow with cancelSla — its timers are gone.
    const closedLate = await openOrder(t0);
    const cancelled = await openOrder(t0);
    await scheduleSla(queues, closedLate, SLA, Date.now());
    await scheduleSla(queues, cancelled, SLA, Date.now());

    await store.transition(cancelled.id, 'self_cleared', 'edge');
    await cancelSla(queues, cancelled.id);
    expect(await queues.sla.getJob(slaJobId(cancelled.id, 'yellow'))).toBeUndefined();
    expect(await queues.sla.getJob(slaJobId(cancelled.id, 'red'))).toBeUndefined();

    // Closed once its yellow notices are out (the dispatcher drops escalations of closed orders).
    await until(() => kinds(team.hits, closedLate.id).length === 1 && kinds(sup.hits, closedLate.id).length === 1, 5000, 'yellow notices');
    await store.transition(closedLate.id, 'cancelled', 'operator');
    await until(() => w.outcomes.some((o) => o.jobId === slaJobId(closedLate.id, 'red')), 6000, 'red timer');
    expect(w.outcomes.find((o) => o.jobId === slaJobId(closedLate.id, 'red'))?.outcome).toBe('closed');

    await sleep(800);
    expect(store.slaCalls.filter((c) => c.level === 'red')).toHaveLength(0);
    expect(store.slaCalls.filter((c) => c.id === cancelled.id)).toHaveLength(0);
    expect((await store.get(closedLate.id))?.sla).toBe('yellow');
    expect(kinds(team.hits, closedLate.id)).toEqual(['sla_yellow']);
    expect(kinds(sup.hits, closedLate.id)).toEqual(['sla_yellow']);
    expect(team.hits.filter((h) => h.body.order.id === cancelled.id)).toHaveLength(0);
  });

  it('handles each timer once with two workers, however often it was scheduled', async () => {
    const other = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
    cleanups.unshift(async () => void (await other.quit()));
    const a = slaWorker();
    const b = slaWorker(other);
    await Promise.all([a.worker.waitUntilReady(), b.worker.waitUntilReady()]);
    const t0 = Date.now();
    const orders = await Promise.all(Array.from({ length: 6 }, () => openOrder(t0)));
    // Two centre instances both schedule every order.
    for (const o of orders) await Promise.all([scheduleSla(queues, o, SLA, Date.now()), scheduleSla(queues, o, SLA, Date.now())]);

    await until(() => a.outcomes.length + b.outcomes.length === orders.length * 2, 10_000, 'all timers');
    await sleep(1000);
    const started = [...a.started, ...b.started].sort();
    const expected = orders.flatMap((o) => [slaJobId(o.id, 'yellow'), slaJobId(o.id, 'red')]).sort();
    expect(started).toEqual(expected);
    expect([...a.outcomes, ...b.outcomes].every((o) => o.outcome === 'escalated')).toBe(true);
    expect(store.slaCalls).toHaveLength(orders.length * 2);
    for (const o of orders) expect(store.slaCalls.filter((c) => c.id === o.id).map((c) => c.level)).toEqual(['yellow', 'red']);
    // One team and one supervisor notice per timer.
    expect(await queues.dispatch.count()).toBe(orders.length * 2 * 2);
  });

  it('fires past-due timers at once, straight to red, and only the supervisor hears of an unreviewed order', async () => {
    const w = slaWorker();
    await w.worker.waitUntilReady();
    const order = await openOrder(Date.now() - 10 * 60_000, false);
    expect(order.state).toBe('pending_review');
    const t = Date.now();
    await scheduleSla(queues, order, SLA, Date.now());
    await until(() => store.slaCalls.length === 1, 5000, 'red');
    expect(store.slaCalls[0]).toMatchObject({ id: order.id, level: 'red' });
    expect(store.slaCalls[0].at - t).toBeLessThan(TOLERANCE_MS);
    expect(await queues.sla.getJob(slaJobId(order.id, 'yellow'))).toBeUndefined();
    const jobs = await queues.dispatch.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed']);
    expect(jobs.map((j) => `${j.data.audience}:${j.data.kind}`)).toEqual(['supervisor:sla_red']);
  });

  it('gives an order rescheduled between its yellow and red times (a restart) its yellow notice at once, then red on time', async () => {
    const { team, sup } = await dispatcherWithReceivers();
    const w = slaWorker();
    await w.worker.waitUntilReady();
    const discovered = Date.now() - 2000; // yellow was due 0.5 s ago, red is due in 1 s
    const order = await openOrder(discovered);
    const t = Date.now();
    await scheduleSla(queues, order, SLA, t);
    await until(() => store.slaCalls.length === 2, 10_000, 'yellow and red');
    const [yellow, red] = store.slaCalls;
    expect(yellow).toMatchObject({ id: order.id, level: 'yellow' });
    expect(yellow.at - t).toBeLessThan(TOLERANCE_MS);
    expect(red).toMatchObject({ id: order.id, level: 'red' });
    expect(red.at).toBeGreaterThanOrEqual(discovered + 3000 - 50);
    await until(() => team.hits.length === 2 && sup.hits.length === 2, 10_000, 'notifications');
    expect(kinds(team.hits, order.id)).toEqual(['sla_yellow', 'sla_red']);
    expect(kinds(sup.hits, order.id)).toEqual(['sla_yellow', 'sla_red']);
  });
});

/**
 * A worker killed in the middle of a job: no loss, no duplicate order, no late notice.
 *
 * The first worker is a child process running the built centre code (dist/, which `npm test`
 * builds before vitest) on the real `detections` queue; it takes the job, writes the order and is
 * SIGKILLed before the job completes. BullMQ's stalled-job check then hands the job to a second,
 * normal worker (the centre's processor: `workflow.onDetection`, and the outbox drainer). Or it
 * completes the job and is killed after its outbox drainer took the order's entry but before it
 * queued the jobs: the second worker's drainer claims the entry and the team's webhook gets the
 * order within seconds. Real Redis, real BullMQ, real dispatcher.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type ConnectionOptions, type Job, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import type { DetectionMessage } from '../contract/index.js';
import { centerConfigSchema, type CenterConfig } from '../center/config.js';
import mqtt from 'mqtt';
import { startDispatcher, type DispatchJobData } from '../ticketing/dispatcher.js';
import { DEFAULT_DETECTION_JOB_OPTIONS } from '../center/ingest/ingest.js';
import { deleteKeys, detection, evidenceRef, fakeJpeg, MOSQUITTO_URL, REDIS_URL, testNamespace, waitFor } from '../center/ingest/test-fixtures.js';
import { NoopMetricsWriter } from '../center/metrics/points.js';
import { DEFAULT_CLAIM_IDLE_MS, OutboxDrainer } from '../ticketing/outbox-drainer.js';
import { createQueues, detectionJobId, QUEUE_NAMES, type DetectionJob, type Queues } from '../ticketing/queues.js';
import { slaJobId } from '../ticketing/sla-timers.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { centreQuiet } from './helpers/centre-quiet.js';
import { Workflow } from '../ticketing/workflow.js';

const DEVICE = 'pole-0007';
const CAMERA = 'cam-1';
const LOCK_MS = 2000;
const STALLED_MS = 1000;

/**
 * The first worker. SW_DIE says where it stops: `after-job` runs the whole workflow and never
 * returns (killed after the order and its outbox entry were written but before the job completed);
 * `after-write` stops right after the order is committed, before the workflow returns;
 * `before-enqueue` completes the job, and its outbox drainer stops after taking the entry, before
 * queuing the timers and the notice.
 */
const FIRST_WORKER = `
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { centerConfigSchema } from './dist/center/config.js';
import { NoopMetricsWriter } from './dist/center/metrics/points.js';
import { OutboxDrainer } from './dist/ticketing/outbox-drainer.js';
import { createQueues, QUEUE_NAMES } from './dist/ticketing/queues.js';
import { RedisWorkOrderStore } from './dist/ticketing/work-order-store.js';
import { Workflow } from './dist/ticketing/workflow.js';

const { SW_REDIS_URL, SW_CONFIG, SW_DIE } = process.env;
const config = centerConfigSchema.parse(JSON.parse(SW_CONFIG));
const say = (what, extra = {}) => process.stdout.write(JSON.stringify({ what, ...extra }) + '\\n');
const hang = () => new Promise(() => {});
class Store extends RedisWorkOrderStore {
  async openOrMerge(input) {
    const res = await super.openOrMerge(input);
    if (SW_DIE === 'after-write') {
      say('stuck', { orderId: res.order.id });
      await hang();
    }
    return res;
  }
}
const redis = new Redis(SW_REDIS_URL, { maxRetriesPerRequest: null });
const store = new Store(redis, config.redisPrefix);
const queues = createQueues(redis, config.redisPrefix);
const workflow = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }) });
if (SW_DIE === 'before-enqueue') {
  const drainer = new OutboxDrainer({ redis, prefix: config.redisPrefix, queues, consumer: 'first', logger: pino({ level: 'silent' }), beforeEnqueue: async (ids) => {
    say('taken', { entries: ids.length });
    await hang();
  } });
  drainer.start();
}
const worker = new Worker(QUEUE_NAMES.detections, async (job) => {
  say('active', { jobId: job.id });
  const order = await workflow.onDetection(job.data);
  say('stuck', { orderId: order?.id ?? null });
  if (SW_DIE !== 'before-enqueue') await hang();
  return order?.id ?? null;
}, { connection: redis.duplicate(), prefix: config.redisPrefix, lockDuration: ${LOCK_MS}, stalledInterval: ${STALLED_MS} });
worker.on('error', (err) => process.stderr.write('worker error: ' + err.message + '\\n'));
await worker.waitUntilReady();
say('ready');
`;

interface FirstWorker {
  child: ChildProcess;
  lines: Array<{ what: string; orderId?: string | null; jobId?: string }>;
  output(): string;
  exited: Promise<NodeJS.Signals | null>;
}

function startFirstWorker(config: CenterConfig, die: 'after-job' | 'after-write' | 'before-enqueue'): FirstWorker {
  const child = spawn(process.execPath, ['--input-type=module', '-e', FIRST_WORKER], {
    cwd: projectRoot,
    env: { ...process.env, SW_REDIS_URL: REDIS_URL, SW_CONFIG: JSON.stringify(config), SW_DIE: die },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: FirstWorker['lines'] = [];
  let out = '';
  let partial = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  });
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  return { child, lines, output: () => out, exited };
}

/** The child runs dist/: refuse to test yesterday's build. */
function assertDistFresh(): void {
  const stale: string[] = [];
  for (const dir of ['ticketing', 'ticketing/lua', 'contract', 'common']) {
    for (const f of readdirSync(join(projectRoot, dir))) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f.startsWith('test-') || f.endsWith('.d.ts')) continue;
      const built = join(projectRoot, 'dist', dir, f.replace(/\.ts$/, '.js'));
      let builtMs = 0;
      try {
        builtMs = statSync(built).mtimeMs;
      } catch {
        /* missing: stale */
      }
      if (builtMs < statSync(join(projectRoot, dir, f)).mtimeMs) stale.push(`${dir}/${f}`);
    }
  }
  if (stale.length) throw new Error(`dist/ is older than ${stale.join(', ')}: run \`npm run build\` first (\`npm test\` does)`);
}

const DISPATCH_STATES: JobType[] = ['wait', 'delayed', 'prioritized', 'active', 'completed', 'failed', 'waiting-children'];

describe('detection worker killed in the middle of a job', () => {
  let ns: ReturnType<typeof testNamespace>;
  let redis: Redis;
  let queues: Queues;
  let store: RedisWorkOrderStore;
  let config: CenterConfig;
  let workflow: Workflow;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(assertDistFresh);

  beforeEach(() => {
    ns = testNamespace();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queues = createQueues(redis, ns.prefix);
    store = new RedisWorkOrderStore(redis, ns.prefix);
    config = centerConfigSchema.parse({
      redisPrefix: ns.prefix,
      rootTopic: ns.root,
      defaultTeam: 'team-north',
      teams: [{ id: 'team-north', officers: [{ id: 'li' }, { id: 'wang' }] }],
    });
    workflow = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }) });
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await Promise.all([queues.detections.obliterate({ force: true }), queues.dispatch.obliterate({ force: true }), queues.sla.obliterate({ force: true })]);
    await queues.close();
    await deleteKeys(redis, ns.prefix);
    expect(await redis.keys(`${ns.prefix}*`)).toEqual([]);
    await redis.quit();
  });

  /** The second worker: exactly what the centre runs on the detections queue, and its outbox drainer. */
  function centerWorker() {
    const drainer = new OutboxDrainer({ redis, prefix: ns.prefix, queues, consumer: 'second', logger: pino({ level: 'silent' }) });
    drainer.start();
    cleanups.push(() => drainer.close());
    const connection = redis.duplicate();
    const completed: Array<{ jobId: string; result: unknown }> = [];
    const failed: Array<{ jobId: string | undefined; err: string }> = [];
    const worker = new Worker<DetectionJob>(QUEUE_NAMES.detections, async (job) => (await workflow.onDetection(job.data))?.id ?? null, {
      connection: connection as unknown as ConnectionOptions,
      prefix: ns.prefix,
      concurrency: 8,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_MS,
    });
    worker.on('completed', (job, result) => completed.push({ jobId: String(job.id), result }));
    worker.on('failed', (job, err) => failed.push({ jobId: job?.id, err: err.message }));
    cleanups.push(async () => {
      await worker.close();
      connection.disconnect();
    });
    return { worker, completed, failed };
  }

  async function dispatchJobs(orderId: string): Promise<Job<DispatchJobData>[]> {
    const jobs = (await queues.dispatch.getJobs(DISPATCH_STATES)) as Job<DispatchJobData>[];
    return [...new Map(jobs.filter((j) => j?.data.orderId === orderId).map((j) => [j.id, j])).values()];
  }

  async function orderKeys(): Promise<string[]> {
    return (await redis.keys(`${ns.prefix}:wo:*`)).sort();
  }

  for (const die of ['after-job', 'after-write'] as const) {
    it(`killed ${die === 'after-job' ? 'after the workflow ran, before the job completed' : 'right after the order and its outbox entry were written, before the workflow returned'}: one order, one order notice, job completed`, async () => {
      const d: DetectionMessage = detection(DEVICE, CAMERA, { evidence: [evidenceRef(fakeJpeg())], confidence: 0.9 });
      const jobId = detectionJobId(d.eventId, d.seq);
      await queues.detections.add(QUEUE_NAMES.detections, d, { ...DEFAULT_DETECTION_JOB_OPTIONS, jobId });

      const first = startFirstWorker(config, die);
      cleanups.push(async () => {
        if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
        await first.exited;
      });
      const stuck = await waitFor(() => first.lines.find((l) => l.what === 'stuck'), `the first worker to get stuck (${first.output()})`, 15_000);
      const written = (await store.findByEvent(d.eventId))!;
      expect(written).not.toBeNull();
      expect(stuck.orderId).toBe(written.id);
      expect(first.lines.filter((l) => l.what === 'active').map((l) => l.jobId)).toEqual([jobId]);
      // Mid-job: the order is written, the job is still active (locked by the first worker).
      expect(await queues.detections.getJobState(jobId)).toBe('active');
      if (die === 'after-write') {
        expect(await dispatchJobs(written.id)).toEqual([]);
        expect(await queues.sla.getJob(slaJobId(written.id, 'red'))).toBeUndefined();
      }

      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      expect(await queues.detections.getJobState(jobId)).toBe('active');

      const second = centerWorker();
      await waitFor(() => second.completed.find((c) => c.jobId === jobId), 'the job to complete on the second worker', 15_000);
      const job = (await queues.detections.getJob(jobId))!;
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toBe(written.id);
      // Recovered through BullMQ's stalled-job check, not failed and retried.
      expect(job.stalledCounter).toBe(1);
      expect(second.failed).toEqual([]);

      // Exactly one order for the event, with everything the first run was meant to do.
      expect(await orderKeys()).toEqual([`${ns.prefix}:wo:${written.id}`]);
      expect(await redis.hgetall(`${ns.prefix}:wo-events`)).toEqual({ [d.eventId]: written.id });
      const order = (await store.get(written.id))!;
      expect(order.state).toBe('dispatched');
      expect(order.eventIds).toEqual([d.eventId]);
      expect(order.evidence.map((e) => e.evidenceId)).toEqual([d.evidence[0].evidenceId]);
      expect(order.audit).toHaveLength(1);
      // The timers and the notice were committed with the order; the second worker's drainer queues them.
      await waitFor(async () => (await queues.sla.getJobState(slaJobId(written.id, 'red'))) === 'delayed', 'the timers to be queued', 10_000);
      let notices = await dispatchJobs(written.id);
      expect(notices.map((j) => j.id)).toEqual([`${written.id}-team-order-1`]);
      expect(notices[0].data).toEqual({ orderId: written.id, kind: 'order', audience: 'team', team: 'team-north', seq: '1' });
      expect(await queues.sla.getJobState(slaJobId(written.id, 'yellow'))).toBe('delayed');
      expect(await queues.sla.getJobState(slaJobId(written.id, 'red'))).toBe('delayed');

      // Another copy of the same detection under a different job id (a redelivery the ingest did
      // not recognise): still that one order, and nothing sent twice.
      await queues.detections.add(QUEUE_NAMES.detections, structuredClone(d), { ...DEFAULT_DETECTION_JOB_OPTIONS, jobId: `${jobId}-copy` });
      await waitFor(() => second.completed.find((c) => c.jobId === `${jobId}-copy`), 'the copy to complete', 10_000);
      expect(second.completed.find((c) => c.jobId === `${jobId}-copy`)!.result).toBe(written.id);
      expect(await orderKeys()).toEqual([`${ns.prefix}:wo:${written.id}`]);
      expect((await store.list({ deviceId: DEVICE, cameraId: CAMERA }, { offset: 0, limit: 10 })).total).toBe(1);
      notices = await dispatchJobs(written.id);
      expect(notices.map((j) => j.id)).toEqual([`${written.id}-team-order-1`]);
      expect((await store.get(written.id))!).toEqual(order);
      expect(second.failed).toEqual([]);
    });
  }
  it('killed after its drainer took the order\'s outbox entry, before queuing it: another worker claims the entry and the webhook gets the order within seconds', async () => {
    const hits: Array<{ key: string | undefined; kind: string; orderId: string; at: number }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string; order: { id: string } };
        hits.push({ key: req.headers['idempotency-key'] as string | undefined, kind: body.kind, orderId: body.order.id, at: Date.now() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
    const hooked = centerConfigSchema.parse({ ...config, teams: [{ id: 'team-north', officers: [{ id: 'li' }], webhook: { url, secret: 'team-hook-secret-0001' } }] });

    const d: DetectionMessage = detection(DEVICE, CAMERA, { evidence: [evidenceRef(fakeJpeg())], confidence: 0.9 });
    const jobId = detectionJobId(d.eventId, d.seq);
    await queues.detections.add(QUEUE_NAMES.detections, d, { ...DEFAULT_DETECTION_JOB_OPTIONS, jobId });
    const first = startFirstWorker(hooked, 'before-enqueue');
    cleanups.push(async () => {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      await first.exited;
    });
    await waitFor(() => first.lines.find((l) => l.what === 'taken'), `the first worker's drainer to take the entry (${first.output()})`, 15_000);
    const written = (await store.findByEvent(d.eventId))!;
    expect(written.state).toBe('dispatched');
    // The job is done and the entry taken, but nothing queued: a crash now used to mean a notice up to 5 minutes late.
    await waitFor(async () => (await queues.detections.getJobState(jobId)) === 'completed', 'the detection job to complete', 5000);
    expect(await dispatchJobs(written.id)).toEqual([]);
    expect(await queues.sla.getJob(slaJobId(written.id, 'red'))).toBeUndefined();
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const killedAt = Date.now();

    const client = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clientId: `${ns.id}-crash` });
    cleanups.push(() => client.endAsync());
    const dispatcher = startDispatcher({ connection: redis, prefix: ns.prefix, store, config: hooked, mqtt: client, logger: pino({ level: 'silent' }) });
    cleanups.push(() => dispatcher.close());
    centerWorker();

    const hit = await waitFor(() => hits.find((h) => h.orderId === written.id), 'the order to reach the webhook', 10_000);
    const lateMs = hit.at - killedAt;
    expect(lateMs).toBeGreaterThanOrEqual(DEFAULT_CLAIM_IDLE_MS - 1000);
    expect(lateMs).toBeLessThan(10_000);
    expect(hit).toMatchObject({ kind: 'order', key: `${written.id}:order:1` });
    expect(await queues.sla.getJobState(slaJobId(written.id, 'yellow'))).toBe('delayed');
    expect(await queues.sla.getJobState(slaJobId(written.id, 'red'))).toBe('delayed');
    // Claimed, queued, acknowledged and deleted: the outbox is empty and nothing comes twice.
    await waitFor(async () => (await redis.xlen(`${ns.prefix}:outbox`)) === 0, 'the outbox to empty', 5000);
    await centreQuiet(redis, ns.prefix);
    expect(hits.filter((h) => h.orderId === written.id)).toHaveLength(1);
    expect((await dispatchJobs(written.id)).map((j) => j.id)).toEqual([`${written.id}-team-order-1`]);
  }, 40_000);
});

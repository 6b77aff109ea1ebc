/**
 * `npm run bench:center`: throughput and latency of the command centre, the real Redis under a
 * throw-away prefix per section, in two deployments one after the other:
 *   A. all roles in this process, embedded broker (aedes) on a free port;
 *   B. the documented split deployment (center-split.ts): a private Mosquitto on a free port
 *      (unlimited queues), `center --role ingest` and `center --role worker` as two processes of the
 *      CLI with `--mqtt-url` (MQTT 5 shared subscription).
 * Each section runs:
 *   1. publish → webhook latency at 200 detections/s for 10 s (run first, on an idle centre), then
 *      at 1,000/s for 5 s;
 *   2. CPU per detection by stage: with both queues paused (BullMQ's own pause, which every worker
 *      honours), 2,000 detections are published and become jobs (ingest); the detections queue is
 *      resumed and they become orders (order); the dispatch queue is resumed and they reach the
 *      webhook (dispatch). Each stage's centre CPU divided by its count;
 *   3. sustained ingest: 500 → 8000 detections/s, 5 s a step, from 16 device connections (QoS 1)
 *      in a child process (center-publisher.ts); a step is lossless when every published message became a detection job
 *      within GRACE_MS of its last publish. The ramp stops at the first lossy step. The centre's
 *      RSS is sampled throughout;
 *   4. work orders created per second while the ramp's jobs are worked off.
 * Jobs are counted in BullMQ (`getJobCounts` of the detections queue), the one count that works
 * across processes; orders in the work-order store and at the webhook.
 * Every detection is its own order (own scope or disjoint box, see center-publisher.ts) and is
 * auto-confirmed, so each one is dispatched to the team's webhook, a local receiver here.
 * Also printed: CPU per process and per step (from /proc), and the centre's CPU time per
 * detection, which unlike the rates does not depend on what else the box is running.
 * Targets (issue 15): ≥ 2,000 detections/s ingested without loss in one process, ≥ 6,000/s split
 * (a lossless step whose measured rate, first publish → last job, reaches it); CPU per detection
 * (ingest + order + dispatch) ≤ 0.6 ms; p99 publish → webhook < 250 ms at 200/s and < 1 s at
 * 1,000/s; centre RSS < 300 MB during the ramp.
 * Knobs for experiments (defaults are the briefed setup): SW_BENCH_SECTIONS=embedded|split,
 * SW_BENCH_SPLIT_INGESTS=<n> ingest processes, SW_BENCH_MOSQUITTO_CONF='line;line' extra
 * mosquitto.conf lines, SW_BENCH_CHILD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p' node flags for
 * the centre processes, SW_BENCH_MOSQUITTO=<path>, SW_BENCH_REDIS_URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fork, type ChildProcess } from 'node:child_process';
import { Queue, type ConnectionOptions, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import { decodeTime } from 'ulid';
import { DeviceRegistry } from '../broker/device-registry.js';
import { createLogger } from '../common/logger.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { centerConfigSchema } from '../center/config.js';
import { DeadLetterStore } from '../center/ingest/dead-letters.js';
import { QUEUE_NAMES } from '../ticketing/queues.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import type { PublisherCommand, PublisherData, PublisherReply } from './center-publisher.js';
import { mosquittoVersion, procCpuMs, procRssMb, startSplit, type SplitDeployment } from './center-split.js';

const REDIS_URL = process.env.SW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEVICES = 16;
const CAMERAS = 8;
const ZONES = 16;
const LATENCY_RATE = 200;
const LATENCY_MS = 10_000;
const HIGH_RATE = 1000;
const HIGH_MS = 5000;
/** The stage phase: this many detections at this rate. */
const STAGE_RATE = 1000;
const STAGE_MS = 2000;
const STAGE_WAIT_MS = 30_000;
const RAMP = [500, 1000, 2000, 3000, 4000, 6000, 8000];
const STEP_MS = 5000;
const GRACE_MS = 1000;
/** How long to wait for the latency phase's last webhooks, and for the ramp's orders. */
const DELIVERY_WAIT_MS = 15_000;
const ORDERS_WAIT_MS = 45_000;
/** How long a lossy last step's messages may take to become jobs after the ramp. */
const CATCH_UP_MS = 10_000;
/** Whole run, both sections and cleanup; past it the bench stops and cleans up. */
const BUDGET_MS = 300_000;
/** The first section ends (cleanup included) by then, leaving the rest to the second. */
const FIRST_SECTION_MS = 140_000;
const TARGET = { cpuMs: 0.6, p99LowMs: 250, p99HighMs: 1000, rssMb: 300 } as const;
/** Kept free at the end of a section for its cleanup. */
const CLEANUP_MS = 12_000;
/** Experiments: `SW_BENCH_SECTIONS=split` runs one section; `SW_BENCH_SPLIT_INGESTS=2` two ingest processes. */
const ONLY = process.env.SW_BENCH_SECTIONS?.split(',');
const SPLIT_INGESTS = Number(process.env.SW_BENCH_SPLIT_INGESTS ?? 1) || 1;
const JOB_STATES: JobType[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children'];

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const connection = redis as unknown as ConnectionOptions;
const logger = createLogger('bench-center');
logger.level = process.env.LOG_LEVEL ?? 'warn';
const t0 = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);
const elapsed = () => Date.now() - t0;

// --- the team's webhook: arrival time of every `order` notification ------------------------------
const webhook = { orders: 0, latencies: null as number[] | null, errors: 0 };
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string; order: { eventIds: string[] } };
      if (body.kind === 'order') {
        webhook.orders++;
        webhook.latencies?.push(at - decodeTime(body.order.eventIds[0]));
      }
    } catch {
      webhook.errors++;
    }
    res.writeHead(200).end();
  });
});
receiver.keepAliveTimeout = 30_000;

// --- publishers (one child process per section) --------------------------------------------------
class Publisher {
  private readonly replies: PublisherReply[] = [];
  private wake: (() => void) | null = null;
  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: PublisherReply) => {
      this.replies.push(m);
      this.wake?.();
    });
    proc.on('error', (err) => this.replies.push({ type: 'error', message: err.message }));
    proc.on('exit', (code) => this.replies.push({ type: 'error', message: `exited with ${code}` }));
  }

  static async start(data: PublisherData): Promise<Publisher> {
    const p = new Publisher(fork(new URL('./center-publisher.js', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    try {
      p.send({ cmd: 'init', data });
      await p.reply('ready', 20_000);
      return p;
    } catch (err) {
      await p.close();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(cmd: PublisherCommand): void {
    if (this.proc.connected) this.proc.send(cmd);
  }

  async run(rate: number, durationMs: number): Promise<Extract<PublisherReply, { type: 'done' }>> {
    this.send({ cmd: 'run', rate, durationMs });
    return this.reply('done', durationMs + 10_000);
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send({ cmd: 'close' });
    await this.reply('closed', 5000).catch(() => undefined);
    if (this.proc.exitCode === null) this.proc.kill();
  }

  private async reply<T extends PublisherReply['type']>(type: T, timeoutMs: number): Promise<Extract<PublisherReply, { type: T }>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.replies.findIndex((r) => r.type === type || r.type === 'error');
      if (i >= 0) {
        const r = this.replies.splice(i, 1)[0];
        if (r.type === 'error') throw new Error(`publisher: ${r.message}`);
        return r as Extract<PublisherReply, { type: T }>;
      }
      if (Date.now() > until) throw new Error(`publisher: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }
}

// --- helpers ------------------------------------------------------------------------------------
async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<number | null> {
  const until = Date.now() + timeoutMs;
  while (Date.now() <= until) {
    if (await cond()) return Date.now();
    await sleep(everyMs);
  }
  return null;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'not delivered');

/** Redis's own CPU (ms): the whole server, which other clients on this box may share. */
async function redisCpuMs(): Promise<number | null> {
  try {
    const info = await redis.info('cpu');
    const field = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
    const v = (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Where the latency phase's time went, from the BullMQ jobs it left (all of them: the queues were
 * empty before it): publish → detection job added (the ingest), waiting for and running in a
 * detection worker, waiting for and running in the dispatcher (MQTT + webhook POST).
 */
async function latencyStages(prefix: string): Promise<[string, number[]][]> {
  const detections = new Queue(QUEUE_NAMES.detections, { connection, prefix });
  const dispatch = new Queue(QUEUE_NAMES.dispatch, { connection, prefix });
  try {
    const [det, disp] = await Promise.all([detections.getJobs(['completed'], 0, 9999), dispatch.getJobs(['completed'], 0, 9999)]);
    const sorted = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
    const span = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : b - a);
    return [
      ['publish → detection job added (ingest)', sorted(det.map((j) => span(decodeTime((j.data as { eventId: string }).eventId), j.timestamp)))],
      ['detection job waiting for a worker', sorted(det.map((j) => span(j.timestamp, j.processedOn)))],
      ['detection worker (order, SLA timers, dispatch job)', sorted(det.map((j) => span(j.processedOn, j.finishedOn)))],
      ['dispatch job waiting for the dispatcher', sorted(disp.map((j) => span(j.timestamp, j.processedOn)))],
      ['dispatcher (MQTT team topic + webhook POST)', sorted(disp.map((j) => span(j.processedOn, j.finishedOn)))],
    ];
  } finally {
    await Promise.all([detections.close(), dispatch.close()]);
  }
}

/** Every key of a section's prefix: its queues first (BullMQ's own way), then the rest. */
async function purge(prefix: string): Promise<void> {
  for (const name of Object.values(QUEUE_NAMES)) {
    const q = new Queue(name, { connection, prefix });
    try {
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  }
  let cursor = '0';
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}

async function quietly(what: string, f: () => Promise<unknown>): Promise<void> {
  try {
    await Promise.race([f(), sleep(15_000).then(() => { throw new Error('timed out'); })]);
  } catch (err) {
    process.stderr.write(`bench:center cleanup: ${what}: ${(err as Error).message}\n`);
  }
}

interface LatencyRun { p50: number; p99: number; max: number; delivered: number; sent: number }

/** Publishes at `rate` and waits (bounded) for the webhooks: an undelivered order counts as slower than any delivered one. */
async function latencyRun(pub: Publisher, rate: number, durationMs: number, left: () => number): Promise<LatencyRun> {
  webhook.latencies = [];
  const before = webhook.orders;
  const run = await pub.run(rate, durationMs);
  await waitUntil(() => webhook.orders - before >= run.sent, Math.min(DELIVERY_WAIT_MS, left()), 20);
  const latencies = webhook.latencies.sort((a, b) => a - b);
  webhook.latencies = null;
  const withMissing = [...latencies, ...Array<number>(Math.max(0, run.sent - latencies.length)).fill(Infinity)];
  return { p50: percentile(withMissing, 50), p99: percentile(withMissing, 99), max: latencies.at(-1) ?? NaN, delivered: latencies.length, sent: run.sent };
}

const latencyRow = (r: LatencyRun) => `p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)} (${r.delivered}/${r.sent} delivered)`;

interface StageCpu { count: number; ingest: number; order: number; dispatch: number; complete: boolean }

/**
 * Centre CPU per detection of each stage alone: both queues paused while detections become jobs;
 * the detections queue resumed until they are orders; the dispatch queue resumed until their
 * webhooks arrived. An idle centre's own background work (polls, timers) counts in every stage.
 */
async function measureStages(dep: Deployment, pub: Publisher, o: { jobs: () => Promise<number>; orders: () => Promise<number>; centerNames: string[]; left: () => number }): Promise<StageCpu> {
  const detections = new Queue(QUEUE_NAMES.detections, { connection, prefix: dep.prefix });
  const dispatch = new Queue(QUEUE_NAMES.dispatch, { connection, prefix: dep.prefix });
  const centreMs = async () => {
    const m = await cpuSnapshot(dep, pub);
    return o.centerNames.reduce((n, k) => n + (m.get(k) ?? 0), 0);
  };
  const wait = (cond: () => Promise<boolean> | boolean) => waitUntil(cond, Math.min(STAGE_WAIT_MS, Math.max(0, o.left())), 20);
  try {
    await Promise.all([detections.pause(), dispatch.pause()]);
    const [jobs0, orders0, hooks0] = [await o.jobs(), await o.orders(), webhook.orders];
    const c0 = await centreMs();
    const run = await pub.run(STAGE_RATE, STAGE_MS);
    const ingested = await wait(async () => (await o.jobs()) - jobs0 >= run.sent);
    const c1 = await centreMs();
    await detections.resume();
    const ordered = await wait(async () => (await o.orders()) - orders0 >= run.sent);
    const c2 = await centreMs();
    await dispatch.resume();
    const dispatched = await wait(() => webhook.orders - hooks0 >= run.sent);
    const c3 = await centreMs();
    const n = Math.max(1, run.sent);
    return { count: run.sent, ingest: (c1 - c0) / n, order: (c2 - c1) / n, dispatch: (c3 - c2) / n, complete: ingested !== null && ordered !== null && dispatched !== null };
  } finally {
    await Promise.all([detections.resume(), dispatch.resume()]).catch(() => undefined);
    await Promise.all([detections.close(), dispatch.close()]);
  }
}

// --- deployments --------------------------------------------------------------------------------
interface Deployment {
  prefix: string;
  mqttUrl: string;
  /** The centre runs in this process (its event loop and CPU are this process's). */
  inProcess: boolean;
  /** Detection jobs stored so far, and how often it is worth asking. */
  jobs(): Promise<number>;
  jobsPollMs: number;
  /** Centre processes besides this one, by name, for CPU accounting. */
  processes: [string, number | undefined][];
  /** The centre's resident memory now (MB; all its processes together). */
  rssMb(): number;
  /** Throws when part of the deployment has died. */
  check(): void;
  totals(): Promise<string>;
  close(): Promise<void>;
}

interface Section {
  id: string;
  title: string;
  /** Short name for the targets line. */
  short: string;
  /** Lossless ingest rate it must reach (detections/s). */
  rateTarget: number;
  start(ctx: { prefix: string; root: string; hookUrl: string; config: Record<string, unknown> }): Promise<Deployment>;
}

interface Outcome {
  short: string;
  rows: [string, string][];
  /** Each target of the issue: [what, met, measured]. */
  targets: [string, boolean, string][];
}

/** The centre config both deployments use (mqtt and dataDir are filled in per deployment). */
function benchConfig(prefix: string, root: string, hookUrl: string): Record<string, unknown> {
  return {
    rootTopic: root,
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    // Not a public example value: `center` (the split deployment's processes) refuses those.
    http: { port: 0, host: '127.0.0.1', linkSecret: randomBytes(32).toString('hex') },
    teams: [{
      id: 'bench', webhook: { url: hookUrl, secret: 'bench-webhook-secret' },
      officers: [{ id: 'o1' }, { id: 'o2' }, { id: 'o3' }, { id: 'o4' }],
    }],
    defaultTeam: 'bench',
    confirmation: { autoConfirm: { illegal_parking: 0.1, street_vending: 0.1 } },
    dedupe: { iou: 0.5 },
  };
}

const embedded: Section = {
  id: 'embedded',
  title: 'all roles in one process, embedded broker (aedes)',
  short: 'one process',
  rateTarget: 2000,
  async start({ prefix, config }) {
    const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-center-'));
    let center: RunningCenter | null = null;
    try {
      center = await startCenter({
        config: centerConfigSchema.parse({ ...config, dataDir, mqtt: { port: 0, host: '127.0.0.1' } }),
        instanceId: `bench-${prefix.slice(9, -1)}`, logger,
      });
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    const running = center;
    const ingestStats = running.ingestStats!;
    return {
      prefix, mqttUrl: running.mqttUrl, inProcess: true,
      jobs: async () => ingestStats().jobs, jobsPollMs: 5,
      processes: [],
      rssMb: () => process.memoryUsage.rss() / 2 ** 20,
      check: () => undefined,
      totals: async () => {
        const s = ingestStats();
        const dead = Object.values(s.deadLettered).reduce((n, v) => n + (v ?? 0), 0);
        return `received ${s.received}, jobs ${s.jobs}, duplicates ${s.duplicates}, dead letters ${dead}, webhook parse errors ${webhook.errors}`;
      },
      close: async () => {
        await quietly('centre', () => running.close());
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

let mosquitto: string | null = null;
const split: Section = {
  id: 'split',
  title: 'split roles (ingest | worker), external Mosquitto',
  short: 'split',
  rateTarget: 6000,
  async start({ prefix, config }) {
    const d: SplitDeployment = await startSplit({
      config, ingests: SPLIT_INGESTS,
      brokerConf: process.env.SW_BENCH_MOSQUITTO_CONF ? process.env.SW_BENCH_MOSQUITTO_CONF.split(';') : [],
    });
    const detections = new Queue(QUEUE_NAMES.detections, { connection, prefix });
    const deadLetters = new DeadLetterStore(redis, prefix);
    const jobs = async () => Object.values(await detections.getJobCounts(...JOB_STATES)).reduce((n, v) => n + v, 0);
    return {
      prefix, mqttUrl: d.mqttUrl, inProcess: false,
      jobs, jobsPollMs: 20,
      processes: d.pids,
      rssMb: () => d.pids.filter(([n]) => n !== 'mosquitto').reduce((mb, [, pid]) => mb + (procRssMb(pid) ?? 0), 0),
      check: () => d.check(),
      totals: async () => {
        const c = await detections.getJobCounts(...JOB_STATES);
        return `jobs ${Object.values(c).reduce((n, v) => n + v, 0)} (completed ${c.completed}, failed ${c.failed}, delayed ${c.delayed}), ` +
          `dead letters ${await deadLetters.count()}, webhook parse errors ${webhook.errors}`;
      },
      close: async () => {
        await quietly('detections queue', () => detections.close());
        await quietly('split deployment', () => d.close());
      },
    };
  },
};

// --- one section: the centre, its publisher, the three phases -----------------------------------
interface Step { rate: number; sent: number; publishedRate: number; accepted: number; ingestRate: number; lagMs: number | null; lossless: boolean; acked: number; cpu: Map<string, number>; wallMs: number }

let active: { deployment: Deployment | null; publisher: Publisher | null; prefix: string } | null = null;

async function cpuSnapshot(dep: Deployment, pub: Publisher): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const [name, pid] of dep.processes) {
    const v = procCpuMs(pid);
    if (v !== null) m.set(name, v);
  }
  m.set(dep.inProcess ? 'centre+bench (this process)' : 'bench (webhook receiver)', cpuMs(process.cpuUsage()));
  const p = procCpuMs(pub.pid);
  if (p !== null) m.set('publisher', p);
  const r = await redisCpuMs();
  if (r !== null) m.set('redis', r);
  return m;
}
const cpuDelta = (a: Map<string, number>, b: Map<string, number>) => new Map([...b].filter(([k]) => a.has(k)).map(([k, v]) => [k, v - a.get(k)!]));
const cpuRow = (d: Map<string, number>, wallMs: number) => [...d].map(([k, v]) => `${k} ${((v / Math.max(1, wallMs)) * 100).toFixed(0)} %`).join(', ');

async function runSection(section: Section, deadline: number): Promise<Outcome> {
  const prefix = `{swbench-${randomBytes(4).toString('hex')}}`;
  const root = `swbench-${prefix.slice(9, -1)}/v1`;
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/orders`;
  const current: NonNullable<typeof active> = { deployment: null, publisher: null, prefix };
  active = current;
  const sectionStart = Date.now();
  webhook.orders = 0;
  webhook.errors = 0;
  webhook.latencies = null;
  try {
    const registry = new DeviceRegistry(redis, prefix);
    const devices = await Promise.all(Array.from({ length: DEVICES }, async (_, i) => {
      const c = await registry.add(`bench-${String(i).padStart(2, '0')}`);
      return { deviceId: c.deviceId, password: c.password };
    }));
    const dep = await section.start({ prefix, root, hookUrl, config: benchConfig(prefix, root, hookUrl) });
    current.deployment = dep;
    const pub = await Publisher.start({ mqttUrl: dep.mqttUrl, root, devices, cameras: CAMERAS, zones: ZONES });
    current.publisher = pub;
    const store = new RedisWorkOrderStore(redis, prefix);
    const orderCount = async () => (await store.list({}, { offset: 0, limit: 0 })).total;
    const jobs = () => dep.jobs();
    const left = () => deadline - CLEANUP_MS - Date.now();

    const centerNames = dep.inProcess ? ['centre+bench (this process)'] : [...dep.processes.map(([n]) => n).filter((n) => n.startsWith('ingest')), 'worker'];
    /** Waits (bounded) until every stored job is an order and every order reached the webhook. */
    const settle = async () => {
      const target = await jobs();
      await waitUntil(async () => (await orderCount()) >= target && webhook.orders >= target, Math.min(DELIVERY_WAIT_MS, left()), 50);
    };

    // 1. Latency at 200/s, before the ramp leaves a backlog behind; then at 1,000/s.
    const eluLatency = performance.eventLoopUtilization();
    const cpuLatency = await cpuSnapshot(dep, pub);
    const tLatency = Date.now();
    const low = await latencyRun(pub, LATENCY_RATE, LATENCY_MS, left);
    const latencyElu = performance.eventLoopUtilization(eluLatency).utilization;
    const latencyCpu = cpuDelta(cpuLatency, await cpuSnapshot(dep, pub));
    const latencyWall = Date.now() - tLatency;
    const stages = await latencyStages(prefix);
    await settle();
    const high = await latencyRun(pub, HIGH_RATE, HIGH_MS, left);
    await settle();
    dep.check();

    // 2. CPU per detection by stage, each stage alone (the others' queues paused).
    const stageCpu = await measureStages(dep, pub, { jobs, orders: orderCount, centerNames, left });
    await settle();
    dep.check();

    // 3. The ramp, with order and webhook counts and the centre's RSS sampled every 250 ms throughout.
    const samples: { at: number; orders: number; hooks: number }[] = [];
    let sampling = false;
    let rssPeak = dep.rssMb();
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, dep.rssMb());
      if (sampling) return;
      sampling = true;
      orderCount()
        .then((orders) => samples.push({ at: Date.now(), orders, hooks: webhook.orders }))
        .catch(() => undefined)
        .finally(() => (sampling = false));
    }, 250);
    const steps: Step[] = [];
    let rampStart = Date.now();
    let rampEnd = rampStart;
    let rampElu = 0;
    let rampJobs = 0;
    let ordersAtRampStart = 0;
    let hooksAtRampStart = 0;
    let caughtUp: number | null = null;
    let drained: number | null = null;
    let rampCpu = new Map<string, number>();
    let ingestCpu = new Map<string, number>();
    let jobsAtRampStart = 0;
    let lastPublishAt = 0;
    try {
      rampStart = Date.now();
      const eluRamp = performance.eventLoopUtilization();
      const cpuRamp = await cpuSnapshot(dep, pub);
      ordersAtRampStart = await orderCount();
      jobsAtRampStart = await jobs();
      hooksAtRampStart = webhook.orders;
      for (const rate of RAMP) {
        // A step needs its 5 s, its grace and the drain after it.
        if (left() < STEP_MS + GRACE_MS + 15_000) break;
        const base = await jobs();
        const cpuStep = await cpuSnapshot(dep, pub);
        const tStep = Date.now();
        const done = await pub.run(rate, STEP_MS);
        const reached = await waitUntil(async () => (await jobs()) - base >= done.sent, Math.max(0, done.lastAt + GRACE_MS - Date.now()), dep.jobsPollMs);
        const accepted = (await jobs()) - base;
        const end = reached ?? Date.now();
        steps.push({
          rate, sent: done.sent, acked: done.acked,
          publishedRate: done.sent / (Math.max(1, done.lastAt - done.firstAt) / 1000 + 1 / rate),
          accepted, ingestRate: accepted / ((end - Math.min(tStep, done.firstAt)) / 1000),
          lagMs: reached === null ? null : Math.max(0, reached - done.lastAt), lossless: accepted >= done.sent,
          cpu: cpuDelta(cpuStep, await cpuSnapshot(dep, pub)), wallMs: Date.now() - tStep,
        });
        lastPublishAt = done.lastAt;
        dep.check();
        if (accepted < done.sent) break;
      }
      rampEnd = Date.now();
      rampElu = performance.eventLoopUtilization(eluRamp).utilization;
      rampJobs = steps.reduce((n, s) => n + s.sent, 0);
      // Let the ingest's backlog (a lossy last step) and the workers catch up, bounded.
      caughtUp = await waitUntil(async () => (await jobs()) - jobsAtRampStart >= rampJobs, Math.min(CATCH_UP_MS, Math.max(0, left())), 50);
      ingestCpu = cpuDelta(cpuRamp, await cpuSnapshot(dep, pub));
      const expectedOrders = ordersAtRampStart + rampJobs;
      drained = await waitUntil(async () => (await orderCount()) >= expectedOrders, Math.min(ORDERS_WAIT_MS, Math.max(0, left())), 250);
      rampCpu = cpuDelta(cpuRamp, await cpuSnapshot(dep, pub));
    } finally {
      clearInterval(sampler);
    }
    await sleep(300);
    const finalOrders = await orderCount();
    const ordersMade = finalOrders - ordersAtRampStart;
    const hooksMade = webhook.orders - hooksAtRampStart;
    const rampJobsStored = (await jobs()) - jobsAtRampStart;
    const lastAt = drained ?? Date.now();
    const windowRate = (key: 'orders' | 'hooks') => {
      let peak = 0;
      for (let i = 0, j = 0; i < samples.length; i++) {
        while (samples[i].at - samples[j].at > 1000) j++;
        if (samples[i].at - samples[j].at >= 750) peak = Math.max(peak, ((samples[i][key] - samples[j][key]) * 1000) / (samples[i].at - samples[j].at));
      }
      return peak;
    };
    const ordersDuringRamp = (samples.filter((s) => s.at <= rampEnd).at(-1)?.orders ?? ordersAtRampStart) - ordersAtRampStart;

    // --- report ---------------------------------------------------------------------------------
    const best = [...steps].reverse().find((s) => s.lossless);
    const sum = (m: Map<string, number>, names: string[]) => names.reduce((n, k) => n + (m.get(k) ?? 0), 0);
    const ingestNames = dep.processes.map(([n]) => n).filter((n) => n.startsWith('ingest'));
    const rampWall = lastAt - rampStart;
    const ingestWall = (caughtUp ?? Date.now()) - rampStart;
    const rows: [string, string][] = [];
    for (const s of steps) {
      rows.push([
        `ingest ${s.rate}/s for ${STEP_MS / 1000} s (${DEVICES} devices, QoS 1)`,
        `published ${s.sent} at ${s.publishedRate.toFixed(0)}/s, ${s.accepted} jobs = ${s.ingestRate.toFixed(0)} msg/s, ` +
          `${s.lossless ? `lossless, last job ${s.lagMs} ms after last publish` : `LOST ${s.sent - s.accepted} within ${GRACE_MS} ms grace`}` +
          `${s.acked < s.sent ? ` (${s.acked} PUBACKs within 1 s)` : ''}`,
      ]);
      rows.push(['  CPU, % of one core', cpuRow(s.cpu, s.wallMs)]);
    }
    rows.push(['ramp messages that became jobs eventually', `${rampJobsStored}/${rampJobs}${caughtUp ? `, the last ${Math.max(0, caughtUp - lastPublishAt)} ms after the last publish` : ` after ${CATCH_UP_MS / 1000} s`}`]);
    if (dep.inProcess) rows.push(['centre event loop busy during the ramp', `${(rampElu * 100).toFixed(0)} %`]);
    rows.push(
      ['highest lossless rate', best ? `${best.rate}/s target, ${best.ingestRate.toFixed(0)} msg/s measured` : 'none'],
      ['work orders created during the ramp', `${ordersDuringRamp} in ${((rampEnd - rampStart) / 1000).toFixed(1)} s = ${(ordersDuringRamp / ((rampEnd - rampStart) / 1000)).toFixed(0)}/s (jobs: ${rampJobs})`],
      ['work orders created until the backlog was worked off', `${ordersMade} in ${(rampWall / 1000).toFixed(1)} s = ${(ordersMade / (rampWall / 1000)).toFixed(0)}/s, peak ${windowRate('orders').toFixed(0)}/s over 1 s${drained ? '' : `, ${ordersAtRampStart + rampJobs - finalOrders} still queued after ${((Date.now() - rampEnd) / 1000).toFixed(0)} s`}`],
      ['order webhooks delivered in the same time', `${hooksMade} = ${(hooksMade / (rampWall / 1000)).toFixed(0)}/s, peak ${windowRate('hooks').toFixed(0)}/s over 1 s`],
      ['  CPU, % of one core, ramp + work-off', cpuRow(rampCpu, rampWall)],
      ['centre RSS, peak during the ramp', `${rssPeak.toFixed(0)} MB${dep.inProcess ? ' (this process: the bench too)' : ' (ingest + worker processes)'}`],
      [`publish → webhook at ${LATENCY_RATE}/s for ${LATENCY_MS / 1000} s`, latencyRow(low)],
      ...stages.map(([stage, v]): [string, string] => [`  ${stage}`, `p50 ${ms(percentile(v, 50))}, p99 ${ms(percentile(v, 99))}`]),
    );
    if (dep.inProcess) rows.push(['  centre event loop busy', `${(latencyElu * 100).toFixed(0)} %`]);
    rows.push(['  CPU, % of one core', cpuRow(latencyCpu, latencyWall)]);
    rows.push([`publish → webhook at ${HIGH_RATE}/s for ${HIGH_MS / 1000} s`, latencyRow(high)]);
    const cpuTotal = stageCpu.ingest + stageCpu.order + stageCpu.dispatch;
    rows.push(
      [`centre CPU per detection by stage (${stageCpu.count} detections, one stage at a time)`,
        `ingest ${stageCpu.ingest.toFixed(2)} ms + order ${stageCpu.order.toFixed(2)} ms + dispatch ${stageCpu.dispatch.toFixed(2)} ms = ${cpuTotal.toFixed(2)} ms` +
        `${stageCpu.complete ? '' : ' (a stage did not finish in time: incomplete)'} → ≈ ${(1000 / cpuTotal).toFixed(0)} detections/s per fully busy core`],
    );
    if (dep.inProcess) {
      const perDet = sum(rampCpu, centerNames) / Math.max(1, ordersMade);
      rows.push(['centre CPU per detection (ingest → order → webhook)', `${(sum(latencyCpu, centerNames) / low.sent).toFixed(2)} ms at ${LATENCY_RATE}/s, ${perDet.toFixed(2)} ms in the ramp → ≈ ${(1000 / perDet).toFixed(0)} detections/s per fully busy core`]);
    } else {
      const ingestMs = (m: Map<string, number>) => (ingestNames.some((n) => m.has(n)) ? sum(m, ingestNames) : NaN);
      const ingestPer = ingestMs(ingestCpu) / Math.max(1, rampJobsStored);
      const workerPer = (rampCpu.get('worker') ?? NaN) / Math.max(1, ordersMade);
      rows.push(
        ['centre CPU per detection (ingest + worker process)', `${(sum(latencyCpu, centerNames) / low.sent).toFixed(2)} ms at ${LATENCY_RATE}/s (ingest ${(ingestMs(latencyCpu) / low.sent).toFixed(2)}, worker ${((latencyCpu.get('worker') ?? NaN) / low.sent).toFixed(2)})`],
        ['  in the ramp', `ingest ${ingestPer.toFixed(2)} ms per job (busy ${((ingestMs(ingestCpu) / Math.max(1, ingestWall)) * 100).toFixed(0)} % of a core) → ≈ ${(1000 / ingestPer).toFixed(0)} jobs/s per fully busy core; ` +
          `worker ${workerPer.toFixed(2)} ms per order → ≈ ${(1000 / workerPer).toFixed(0)} orders/s per fully busy core`],
      );
    }
    rows.push(['totals', await dep.totals()]);
    return {
      short: section.short, rows,
      targets: [
        [`≥ ${section.rateTarget.toLocaleString('en')} detections/s lossless`, steps.some((s) => s.lossless && s.ingestRate >= section.rateTarget),
          `${best ? `${best.ingestRate.toFixed(0)} msg/s lossless` : 'no lossless step'}, peak ${Math.max(0, ...steps.map((s) => s.ingestRate)).toFixed(0)} msg/s`],
        [`CPU ≤ ${TARGET.cpuMs} ms per detection`, stageCpu.complete && cpuTotal <= TARGET.cpuMs, `${cpuTotal.toFixed(2)} ms`],
        [`p99 < ${TARGET.p99LowMs} ms at ${LATENCY_RATE}/s`, low.p99 < TARGET.p99LowMs, ms(low.p99)],
        [`p99 < ${TARGET.p99HighMs} ms at ${HIGH_RATE}/s`, high.p99 < TARGET.p99HighMs, ms(high.p99)],
        [`RSS < ${TARGET.rssMb} MB`, rssPeak < TARGET.rssMb, `${rssPeak.toFixed(0)} MB`],
      ],
    };
  } finally {
    await closeSection();
    process.stdout.write(`  (section ${section.id}: ${((Date.now() - sectionStart) / 1000).toFixed(0)} s with setup and cleanup)\n`);
  }
}

async function closeSection(): Promise<void> {
  const a = active;
  active = null;
  if (!a) return;
  if (a.publisher) await quietly('publisher', () => a.publisher!.close());
  if (a.deployment) await a.deployment.close();
  await quietly('redis keys', () => purge(a.prefix));
}

let cleaned: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    await closeSection();
    await quietly('webhook receiver', () => new Promise<void>((r) => { receiver.closeAllConnections(); receiver.close(() => r()); }));
    redis.disconnect();
  })();
  return cleaned;
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench:center: over its ${BUDGET_MS / 1000} s budget; stopping\n`);
  void cleanup().finally(() => process.exit(2));
}, BUDGET_MS + 20_000);
watchdog.unref();

// --- the run ------------------------------------------------------------------------------------
const print = (title: string, rows: [string, string][]) => {
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${title}\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
};

try {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  mosquitto = mosquittoVersion();
  process.stdout.write(`bench:center (Redis ${REDIS_URL}, ${availableParallelism()} cores, load average ${loadAtStart} at start; ` +
    `every process of both deployments shares these cores with the publisher, Redis and anything else running)\n`);
  const outcomes: Outcome[] = [];
  const sections: [Section, number][] = [[embedded, t0 + FIRST_SECTION_MS], [split, t0 + BUDGET_MS]];
  for (const [section, deadline] of sections) {
    const title = section === split
      ? `${section.title}${mosquitto ? ` (${mosquitto})` : ''}${SPLIT_INGESTS > 1 ? `, ${SPLIT_INGESTS} ingest processes` : ''}`
      : section.title;
    if (ONLY && !ONLY.includes(section.id)) continue;
    if (section === split && !mosquitto) {
      print(title, [['skipped', 'mosquitto not found (set SW_BENCH_MOSQUITTO)']]);
      continue;
    }
    try {
      const o = await runSection(section, deadline);
      outcomes.push(o);
      print(`${title}; load average ${loadavg()[0].toFixed(2)}, ${(elapsed() / 1000).toFixed(0)} s into the run`, o.rows);
    } catch (err) {
      process.exitCode = 1;
      print(title, [['failed', (err as Error).stack ?? String(err)]]);
    }
  }
  const lines = outcomes.map((o) => `  ${o.short}: ${o.targets.map(([what, met, got]) => `${what} ${met ? 'met' : 'NOT met'} (${got})`).join('; ')}`);
  const all = outcomes.filter((o) => o.targets.every(([, met]) => met)).map((o) => o.short);
  process.stdout.write(`\ntargets:\n${lines.join('\n') || '  no section ran'}\n` +
    `configuration meeting all: ${all.length ? all.join(', ') : 'none'} (run took ${(elapsed() / 1000).toFixed(0)} s)\n`);
} catch (err) {
  process.stderr.write(`bench:center failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}

/**
 * `npm run bench:center`: throughput and latency of the command centre, all roles in this process,
 * embedded broker on a free port, the real Redis under a throw-away prefix.
 *   1. publish → webhook latency at 200 detections/s for 10 s (run first, on an idle centre);
 *   2. sustained ingest: 500 → 4000 detections/s, 5 s a step, from 16 device connections (QoS 1)
 *      in a child process (center-publisher.ts); a step is lossless when every published message became a detection job
 *      within GRACE_MS of its last publish. The ramp stops at the first lossy step;
 *   3. work orders created per second while the ramp's jobs are worked off.
 * Every detection is its own order (own scope or disjoint box, see center-publisher.ts) and is
 * auto-confirmed, so each one is dispatched to the team's webhook, a local receiver here.
 * Also printed: the centre's CPU time per detection (this process only: ingest → order → webhook),
 * which unlike the rates does not depend on what else the box is running.
 * Targets: ≥ 2,000 detections/s ingested without loss; p99 publish → webhook < 1 s at 200/s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fork, type ChildProcess } from 'node:child_process';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { decodeTime } from 'ulid';
import { DeviceRegistry } from '../broker/device-registry.js';
import { createLogger } from '../common/logger.js';
import { startCenter, type RunningCenter } from '../ticketing/center.js';
import { centerConfigSchema } from '../ticketing/config.js';
import { QUEUE_NAMES } from '../ticketing/queues.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import type { PublisherCommand, PublisherData, PublisherReply } from './center-publisher.js';

const REDIS_URL = process.env.SW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEVICES = 16;
const CAMERAS = 8;
const ZONES = 16;
const LATENCY_RATE = 200;
const LATENCY_MS = 10_000;
const RAMP = [500, 1000, 2000, 3000, 4000];
const STEP_MS = 5000;
const GRACE_MS = 1000;
/** How long to wait for the latency phase's last webhooks, and for the ramp's orders. */
const DELIVERY_WAIT_MS = 15_000;
const ORDERS_WAIT_MS = 45_000;
/** Whole run, cleanup included; past it the bench stops and cleans up. */
const BUDGET_MS = 170_000;

const id = randomBytes(4).toString('hex');
const prefix = `{swbench-${id}}`;
const root = `swbench-${id}/v1`;
const dataDir = mkdtempSync(join(tmpdir(), 'sw-bench-center-'));
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const logger = createLogger('bench-center');
logger.level = process.env.LOG_LEVEL ?? 'warn';
const t0 = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);
const overBudget = () => Date.now() - t0 > BUDGET_MS;

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

// --- publishers ---------------------------------------------------------------------------------
let publisher: ChildProcess | null = null;
const replies: PublisherReply[] = [];
let wake: (() => void) | null = null;
async function reply<T extends PublisherReply['type']>(type: T, timeoutMs: number): Promise<Extract<PublisherReply, { type: T }>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const i = replies.findIndex((r) => r.type === type || r.type === 'error');
    if (i >= 0) {
      const r = replies.splice(i, 1)[0];
      if (r.type === 'error') throw new Error(`publisher: ${r.message}`);
      return r as Extract<PublisherReply, { type: T }>;
    }
    if (Date.now() > until) throw new Error(`publisher: no ${type} within ${timeoutMs} ms`);
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 50);
    });
  }
}
const send = (cmd: PublisherCommand) => publisher!.send(cmd);

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

/**
 * Where the latency phase's time went, from the BullMQ jobs it left (all of them: the queues were
 * empty before it): publish → detection job added (the ingest), waiting for and running in a
 * detection worker, waiting for and running in the dispatcher (MQTT + webhook POST).
 */
async function latencyStages(): Promise<[string, number[]][]> {
  const connection = redis as unknown as ConnectionOptions;
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

let centre: RunningCenter | null = null;
let cleaned: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    const quietly = async (what: string, f: () => Promise<unknown>) => {
      try {
        await Promise.race([f(), sleep(15_000).then(() => { throw new Error('timed out'); })]);
      } catch (err) {
        process.stderr.write(`bench:center cleanup: ${what}: ${(err as Error).message}\n`);
      }
    };
    if (publisher) {
      const p = publisher;
      await quietly('publishers', async () => {
        send({ cmd: 'close' });
        await reply('closed', 5000).catch(() => undefined);
        if (p.exitCode === null) p.kill();
      });
    }
    if (centre) await quietly('centre', () => centre!.close());
    await quietly('webhook receiver', () => new Promise<void>((r) => { receiver.closeAllConnections(); receiver.close(() => r()); }));
    await quietly('queues', async () => {
      for (const name of Object.values(QUEUE_NAMES)) {
        const q = new Queue(name, { connection: redis as unknown as ConnectionOptions, prefix });
        await q.obliterate({ force: true });
        await q.close();
      }
    });
    await quietly('redis keys', async () => {
      let cursor = '0';
      for (let i = 0; i < 100_000; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    });
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  })();
  return cleaned;
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench:center: over its ${BUDGET_MS / 1000} s budget; stopping\n`);
  void cleanup().finally(() => process.exit(2));
}, BUDGET_MS + 20_000);
watchdog.unref();

// --- the run ------------------------------------------------------------------------------------
interface Step { rate: number; sent: number; publishedRate: number; accepted: number; ingestRate: number; lagMs: number | null; lossless: boolean; acked: number }

try {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookPort = (receiver.address() as { port: number }).port;
  const config = centerConfigSchema.parse({
    rootTopic: root,
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    dataDir,
    mqtt: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    teams: [{
      id: 'bench', webhook: { url: `http://127.0.0.1:${hookPort}/orders`, secret: 'bench-webhook-secret' },
      officers: [{ id: 'o1' }, { id: 'o2' }, { id: 'o3' }, { id: 'o4' }],
    }],
    defaultTeam: 'bench',
    confirmation: { autoConfirm: { illegal_parking: 0.1, street_vending: 0.1 } },
    dedupe: { iou: 0.5 },
  });
  const registry = new DeviceRegistry(redis, prefix);
  const devices = await Promise.all(Array.from({ length: DEVICES }, async (_, i) => {
    const c = await registry.add(`bench-${String(i).padStart(2, '0')}`);
    return { deviceId: c.deviceId, password: c.password };
  }));
  centre = await startCenter({ config, instanceId: `bench-${id}`, logger });
  const ingest = centre.ingest!;
  const publisherData: PublisherData = { mqttUrl: centre.mqttUrl, root, devices, cameras: CAMERAS, zones: ZONES };
  publisher = fork(new URL('./center-publisher.js', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  publisher.on('message', (m: PublisherReply) => {
    replies.push(m);
    wake?.();
  });
  publisher.on('error', (err) => replies.push({ type: 'error', message: err.message }));
  publisher.on('exit', (code) => replies.push({ type: 'error', message: `exited with ${code}` }));
  send({ cmd: 'init', data: publisherData });
  await reply('ready', 20_000);
  const store = new RedisWorkOrderStore(redis, prefix);
  const orderCount = async () => (await store.list({}, { offset: 0, limit: 0 })).total;
  const jobs = () => ingest.stats().jobs;

  // 1. Latency at 200/s, before the ramp leaves a backlog behind.
  webhook.latencies = [];
  const eluLatency = performance.eventLoopUtilization();
  const cpuLatency = process.cpuUsage();
  const ordersBefore = webhook.orders;
  send({ cmd: 'run', rate: LATENCY_RATE, durationMs: LATENCY_MS });
  const lat = await reply('done', LATENCY_MS + 10_000);
  await waitUntil(() => webhook.orders - ordersBefore >= lat.sent, DELIVERY_WAIT_MS, 20);
  const latencies = webhook.latencies.sort((a, b) => a - b);
  webhook.latencies = null;
  const latencyElu = performance.eventLoopUtilization(eluLatency).utilization;
  const latencyCpuMs = cpuMs(process.cpuUsage(cpuLatency));
  const stages = await latencyStages();
  const undelivered = lat.sent - latencies.length;
  // An undelivered order counts as slower than any delivered one.
  const withMissing = [...latencies, ...Array<number>(Math.max(0, undelivered)).fill(Infinity)];
  const p50 = percentile(withMissing, 50);
  const p99 = percentile(withMissing, 99);
  const latencyMax = latencies.at(-1) ?? NaN;
  await waitUntil(async () => (await orderCount()) >= jobs(), 10_000, 50);

  // 2. The ramp, with order and webhook counts sampled every 250 ms throughout.
  const samples: { at: number; orders: number; hooks: number }[] = [];
  let sampling = false;
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    orderCount()
      .then((orders) => samples.push({ at: Date.now(), orders, hooks: webhook.orders }))
      .catch(() => undefined)
      .finally(() => (sampling = false));
  }, 250);
  const rampStart = Date.now();
  const eluRamp = performance.eventLoopUtilization();
  const cpuRamp = process.cpuUsage();
  const ordersAtRampStart = await orderCount();
  const jobsAtRampStart = jobs();
  const hooksAtRampStart = webhook.orders;
  const steps: Step[] = [];
  for (const rate of RAMP) {
    if (overBudget()) break;
    const base = jobs();
    const tStep = Date.now();
    send({ cmd: 'run', rate, durationMs: STEP_MS });
    const done = await reply('done', STEP_MS + 10_000);
    const reached = await waitUntil(() => jobs() - base >= done.sent, Math.max(0, done.lastAt + GRACE_MS - Date.now()), 5);
    const accepted = jobs() - base;
    const end = reached ?? Date.now();
    steps.push({
      rate, sent: done.sent, acked: done.acked,
      publishedRate: done.sent / (Math.max(1, done.lastAt - done.firstAt) / 1000 + 1 / rate),
      accepted, ingestRate: accepted / ((end - Math.min(tStep, done.firstAt)) / 1000),
      lagMs: reached === null ? null : Math.max(0, reached - done.lastAt), lossless: accepted >= done.sent,
    });
    if (accepted < done.sent) break;
  }
  const rampEnd = Date.now();
  const rampElu = performance.eventLoopUtilization(eluRamp).utilization;
  const rampJobs = steps.reduce((n, s) => n + s.sent, 0);
  // Let the ingest's backlog (a lossy last step) and the workers catch up, bounded.
  const expectedOrders = ordersAtRampStart + rampJobs;
  await waitUntil(() => jobs() - jobsAtRampStart >= rampJobs, 10_000, 50);
  const drained = await waitUntil(async () => (await orderCount()) >= expectedOrders, Math.min(ORDERS_WAIT_MS, Math.max(0, BUDGET_MS - 30_000 - (Date.now() - t0))), 250);
  const rampCpuMs = cpuMs(process.cpuUsage(cpuRamp));
  clearInterval(sampler);
  await sleep(300);
  const finalOrders = await orderCount();
  const ordersMade = finalOrders - ordersAtRampStart;
  const hooksMade = webhook.orders - hooksAtRampStart;
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

  // --- report -----------------------------------------------------------------------------------
  const best = [...steps].reverse().find((s) => s.lossless);
  const ingestMet = steps.some((s) => s.lossless && s.ingestRate >= 2000);
  const latencyMet = p99 < 1000;
  const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'not delivered');
  const stats = ingest.stats();
  const dead = Object.values(stats.deadLettered).reduce((n, v) => n + (v ?? 0), 0);
  const rows: [string, string][] = [
    ...steps.map((s): [string, string] => [
      `ingest ${s.rate}/s for ${STEP_MS / 1000} s (${DEVICES} devices, QoS 1)`,
      `published ${s.sent} at ${s.publishedRate.toFixed(0)}/s, ${s.accepted} jobs = ${s.ingestRate.toFixed(0)} msg/s, ` +
        `${s.lossless ? `lossless, last job ${s.lagMs} ms after last publish` : `LOST ${s.sent - s.accepted} within ${GRACE_MS} ms grace`}` +
        `${s.acked < s.sent ? ` (${s.acked} PUBACKs within 1 s)` : ''}`,
    ]),
    ['centre event loop busy during the ramp', `${(rampElu * 100).toFixed(0)} %`],
    ['highest lossless rate', best ? `${best.rate}/s target, ${best.ingestRate.toFixed(0)} msg/s measured` : 'none'],
    ['work orders created during the ramp', `${ordersDuringRamp} in ${((rampEnd - rampStart) / 1000).toFixed(1)} s = ${(ordersDuringRamp / ((rampEnd - rampStart) / 1000)).toFixed(0)}/s (jobs: ${rampJobs})`],
    ['work orders created until the backlog was worked off', `${ordersMade} in ${((lastAt - rampStart) / 1000).toFixed(1)} s = ${(ordersMade / ((lastAt - rampStart) / 1000)).toFixed(0)}/s, peak ${windowRate('orders').toFixed(0)}/s over 1 s${drained ? '' : `, ${expectedOrders - finalOrders} still queued after ${ORDERS_WAIT_MS / 1000} s`}`],
    ['order webhooks delivered in the same time', `${hooksMade} = ${(hooksMade / ((lastAt - rampStart) / 1000)).toFixed(0)}/s, peak ${windowRate('hooks').toFixed(0)}/s over 1 s`],
    [`publish → webhook at ${LATENCY_RATE}/s for ${LATENCY_MS / 1000} s`, `p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(latencyMax)} (${latencies.length}/${lat.sent} delivered)`],
    ...stages.map(([stage, v]): [string, string] => [`  ${stage}`, `p50 ${ms(percentile(v, 50))}, p99 ${ms(percentile(v, 99))}`]),
    ['  centre event loop busy', `${(latencyElu * 100).toFixed(0)} %`],
    ['centre CPU per detection (ingest → order → webhook)', `${(latencyCpuMs / lat.sent).toFixed(2)} ms at ${LATENCY_RATE}/s, ${(rampCpuMs / Math.max(1, ordersMade)).toFixed(2)} ms in the ramp → ≈ ${(1000 / (rampCpuMs / Math.max(1, ordersMade))).toFixed(0)} detections/s per fully busy core`],
    ['ingest totals', `received ${stats.received}, jobs ${stats.jobs}, duplicates ${stats.duplicates}, dead letters ${dead}, webhook parse errors ${webhook.errors}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const load = loadavg()[0].toFixed(2);
  process.stdout.write(`bench:center (all roles in one process, embedded broker, Redis ${REDIS_URL}; ${availableParallelism()} cores, load average ${loadAtStart} at start, ${load} at end; ${((Date.now() - t0) / 1000).toFixed(0)} s)\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  process.stdout.write(`targets: ≥ 2,000 detections/s ingested without loss → ${ingestMet ? 'met' : 'NOT met'}; p99 publish → dispatch < 1 s at ${LATENCY_RATE}/s → ${latencyMet ? 'met' : 'NOT met'}\n`);
} catch (err) {
  process.stderr.write(`bench:center failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}

/**
 * SLA timers as delayed BullMQ jobs: one for yellow and one for red per order, with fixed job ids
 * so however many centre instances schedule them each exists once, and BullMQ hands each to exactly
 * one worker when it falls due. The worker escalates only orders that are still open.
 */
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';
import { enqueueDispatch } from './dispatcher.js';
import { QUEUE_NAMES, type Queues, type SlaJob } from './queues.js';
import type { WorkOrderStore } from './store-types.js';
import { isOpen } from './work-order.js';

type Level = SlaJob['level'];

const LEVELS: readonly Level[] = ['yellow', 'red'];
/** Kept after firing so a late re-drain of the outbox finds the id taken and adds nothing. */
const KEEP_SECONDS = 7 * 24 * 3600;

export const slaJobId = (orderId: string, level: Level): string => `${orderId}-${level}`;

/**
 * The delayed jobs of an order's timers (for `addBulk`), with fixed ids so adding them twice is a
 * no-op. A time already past fires at once (delay 0). When red is already due, yellow is not
 * scheduled at all: two timers running side by side could otherwise leave the order yellow.
 */
export function slaTimerJobs(orderId: string, due: { yellowAtMs: number; redAtMs: number }, nowMs: number) {
  const at: Record<Level, number> = { yellow: due.yellowAtMs, red: due.redAtMs };
  const levels = due.redAtMs <= nowMs ? (['red'] as const) : LEVELS;
  return levels.map((level) => ({
    name: level,
    data: { orderId, level },
    opts: {
      jobId: slaJobId(orderId, level),
      delay: Math.max(0, Math.round(at[level] - nowMs)),
      // Only a Redis hiccup in the worker fails a timer; a few quick retries cover it.
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    },
  }));
}

/** Drops the order's pending timers (the order closed). A timer already running checks the state itself. */
export async function cancelSla(queues: Queues, orderId: string): Promise<void> {
  await Promise.all(LEVELS.map((level) => queues.sla.remove(slaJobId(orderId, level))));
}

export interface SlaWorkerOptions {
  /** A ready ioredis client with `maxRetriesPerRequest: null`. */
  connection: RedisClient;
  prefix: string;
  store: WorkOrderStore;
  /** Where escalation notifications are queued. */
  queues: Queues;
  logger: Logger;
  concurrency?: number;
}

export type SlaOutcome = 'escalated' | 'closed' | 'missing' | 'superseded';

export function startSlaWorker(opts: SlaWorkerOptions): { readonly worker: Worker<SlaJob, SlaOutcome>; close(): Promise<void> } {
  const log = opts.logger.child({ component: 'sla' });
  const worker = new Worker<SlaJob, SlaOutcome>(QUEUE_NAMES.sla, (job) => onTimer(job, opts, log), {
    connection: opts.connection as unknown as ConnectionOptions,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 4,
  });
  worker.on('failed', (job, err) => log.error({ orderId: job?.data.orderId, level: job?.data.level, err: err.message }, 'SLA timer failed'));
  worker.on('error', (err) => log.error({ err: err.message }, 'SLA worker error'));
  return { worker, close: () => worker.close() };
}

async function onTimer(job: Job<SlaJob, SlaOutcome>, opts: SlaWorkerOptions, log: Logger): Promise<SlaOutcome> {
  const { orderId, level } = job.data;
  const order = await opts.store.get(orderId);
  if (!order) {
    log.warn({ orderId, level }, 'SLA timer for an unknown order');
    return 'missing';
  }
  if (!isOpen(order.state)) return 'closed';
  // Both timers may fall due together (scheduled late); yellow must not undo red.
  if (level === 'yellow' && order.sla === 'red') return 'superseded';
  if (order.sla !== level) await opts.store.setSla(orderId, level);
  const kind = level === 'yellow' ? 'sla_yellow' : 'sla_red';
  // An order still waiting for review has not reached the officers; only the supervisor hears of it.
  if (order.state !== 'pending_review') await enqueueDispatch(opts.queues, { orderId, kind, audience: 'team', team: order.team });
  await enqueueDispatch(opts.queues, { orderId, kind, audience: 'supervisor', team: order.team });
  log.warn({ orderId, level, state: order.state, team: order.team, deadlineAt: order.deadlineAt }, `order SLA ${level}`);
  return 'escalated';
}

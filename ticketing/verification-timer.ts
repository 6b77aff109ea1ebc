/**
 * The camera-verification timer (verification.ts): one delayed BullMQ job per wait, queued from
 * the outbox by the commit that resolved the order, with a fixed id so a re-drained entry adds
 * nothing. When it fires, the workflow reopens the order if the box has not seen the problem go.
 */
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../common/logger.js';
import type { RedisClient } from '../common/redis.js';
import { QUEUE_NAMES, type VerifyJob } from './queues.js';
import type { Workflow } from './workflow.js';

/** Kept after firing so a late re-drain of the outbox finds the id taken and adds nothing. */
const KEEP_SECONDS = 7 * 24 * 3600;

export const verifyJobId = (orderId: string, seq: string): string => `${orderId}-verify-${seq}`;

/** The delayed job of one wait (for `addBulk`); a window already over fires at once. */
export function verifyTimerJob(e: { orderId: string; until: string; seq: string }, nowMs: number) {
  return {
    name: 'verify',
    data: { orderId: e.orderId, until: e.until },
    opts: {
      jobId: verifyJobId(e.orderId, e.seq),
      delay: Math.max(0, Math.round(Date.parse(e.until) - nowMs)),
      // Only a Redis hiccup fails it; a few quick retries cover it.
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    },
  };
}

export interface VerificationWorkerOptions {
  /** A ready ioredis client with `maxRetriesPerRequest: null`. */
  connection: RedisClient;
  prefix: string;
  workflow: Workflow;
  logger: Logger;
  concurrency?: number;
}

export function startVerificationWorker(opts: VerificationWorkerOptions): { readonly worker: Worker<VerifyJob, string>; close(): Promise<void> } {
  const log = opts.logger.child({ component: 'verification' });
  const worker = new Worker<VerifyJob, string>(QUEUE_NAMES.verify, (job: Job<VerifyJob, string>) => opts.workflow.verificationDue(job.data.orderId, job.data.until), {
    connection: opts.connection as unknown as ConnectionOptions,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 4,
  });
  worker.on('failed', (job, err) => log.error({ orderId: job?.data.orderId, err: err.message }, 'verification timer failed'));
  worker.on('error', (err) => log.error({ err: err.message }, 'verification worker error'));
  return { worker, close: () => worker.close() };
}

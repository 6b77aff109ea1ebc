/**
 * The detection worker: each validated detection job (queued by the ingest) goes through the
 * workflow, which opens, merges or closes its work order. Jobs are idempotent, so a retried or
 * redelivered one changes nothing twice.
 */
import { Worker, type ConnectionOptions } from 'bullmq';
import { duplicateRedis, type RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';
import { QUEUE_NAMES, type DetectionJob } from './queues.js';
import type { Workflow } from './workflow.js';

export interface DetectionWorkerOptions {
  /** Duplicated: BullMQ workers block on their connection. */
  connection: RedisClient;
  prefix: string;
  workflow: Pick<Workflow, 'onDetection'>;
  logger: Logger;
  /** Jobs worked on at once. Default 8. */
  concurrency?: number;
}

export function startDetectionWorker(o: DetectionWorkerOptions): { close(): Promise<void> } {
  const connection = duplicateRedis(o.connection);
  const worker = new Worker<DetectionJob>(QUEUE_NAMES.detections, async (job) => (await o.workflow.onDetection(job.data))?.id ?? null, {
    connection: connection as unknown as ConnectionOptions, prefix: o.prefix, concurrency: o.concurrency ?? 8,
  });
  worker.on('failed', (job, err) => o.logger.error({ jobId: job?.id, err: err.message }, 'detection job failed'));
  return {
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}

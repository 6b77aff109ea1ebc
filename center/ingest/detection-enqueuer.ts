/**
 * Detection jobs added in batches: every detection that asks while a batch is on its way to Redis
 * goes into the next one, so a busy ingest makes two round trips per batch (which job ids exist
 * already, then Queue.addBulk) instead of two per message, and an idle one still sends each
 * detection at once. Each caller's promise settles only once its job is stored (or known to exist),
 * so the ingest still deletes a journal entry only after its job is durable; a failed batch fails
 * every caller in it, and each message is handled again.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { RedisClient } from '../../common/redis.js';
import type { DetectionMessage } from '../../contract/index.js';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../../ticketing/queues.js';

export type EnqueueOutcome = 'added' | 'duplicate';

interface Waiting {
  message: DetectionMessage;
  jobId: string;
  resolve: (outcome: EnqueueOutcome) => void;
  reject: (err: unknown) => void;
}

/** Largest batch: bounds one Redis transaction's size. */
const MAX_BATCH = 500;

export class DetectionEnqueuer {
  private next: Waiting[] = [];
  private flushing = false;

  /** `redis` answers the existence checks: the queue's own data, under the queue's keys. */
  constructor(
    private readonly queue: Queue<DetectionJob>,
    private readonly redis: RedisClient,
    private readonly jobOptions: JobsOptions,
  ) {}

  /** Resolves once the job is stored: `added`, or `duplicate` when a job of that id already existed. */
  enqueue(message: DetectionMessage): Promise<EnqueueOutcome> {
    return new Promise((resolve, reject) => {
      this.next.push({ message, jobId: detectionJobId(message.eventId, message.seq), resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Whatever else this turn of the event loop hands in rides along.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.next.length) {
      const batch = this.next.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.store(batch);
        batch.forEach((w, i) => w.resolve(outcomes[i]));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.flushing = false;
  }

  /** BullMQ ignores an add with an existing job id anyway; the look-up only tells the two apart for stats. */
  private async store(batch: readonly Waiting[]): Promise<EnqueueOutcome[]> {
    const pipeline = this.redis.pipeline();
    for (const w of batch) pipeline.exists(this.queue.toKey(w.jobId));
    const exists = (await pipeline.exec()) ?? [];
    const outcomes: EnqueueOutcome[] = [];
    const seen = new Set<string>();
    const fresh: Waiting[] = [];
    batch.forEach((w, i) => {
      const [err, n] = exists[i] ?? [new Error('no reply')];
      if (err) throw err;
      // The same job twice in one batch (a redelivery right behind the original) is added once.
      const duplicate = n === 1 || seen.has(w.jobId);
      seen.add(w.jobId);
      outcomes.push(duplicate ? 'duplicate' : 'added');
      if (!duplicate) fresh.push(w);
    });
    if (fresh.length) {
      await this.queue.addBulk(fresh.map((w) => ({ name: QUEUE_NAMES.detections, data: w.message, opts: { ...this.jobOptions, jobId: w.jobId } })));
    }
    return outcomes;
  }
}

/**
 * Detection jobs added in batches: every detection that asks while a batch is on its way to Redis
 * goes into the next one, so a busy ingest makes two round trips per batch (which job ids exist
 * already, then Queue.addBulk) instead of two per message, and an idle one still sends each
 * detection at once. Each caller's promise settles only once its job is stored (or known to exist),
 * so the ingest still deletes a journal entry only after its job is durable.
 *
 * A failed batch goes back to the front, ahead of everything handed in since, and is tried again
 * (with backoff) before anything else is sent: the ingest frees a device's line once its detection
 * is handed in here, so a later message of the device (its `ended`) may already be waiting, and it
 * must not reach BullMQ before the one that failed. Its callers wait meanwhile (the ingest's handler
 * timeout bounds how long; a message handed in again behind its first copy becomes a duplicate).
 */
import type { JobsOptions, Queue } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreetWatchError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
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
/** A failed batch is tried again after this, doubling up to MAX_RETRY_DELAY_MS. */
const RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5000;

export class DetectionEnqueuer {
  private next: Waiting[] = [];
  private flushing = false;
  private closed = false;
  /** Ends the wait before a retry (on close). */
  private readonly closing = new AbortController();
  private readonly retryDelayMs: number;

  /** `redis` answers the existence checks: the queue's own data, under the queue's keys. */
  constructor(
    private readonly queue: Queue<DetectionJob>,
    private readonly redis: RedisClient,
    private readonly jobOptions: JobsOptions,
    private readonly log: Logger,
    opts: { retryDelayMs?: number } = {},
  ) {
    this.retryDelayMs = opts.retryDelayMs ?? RETRY_DELAY_MS;
  }

  /** Resolves once the job is stored: `added`, or `duplicate` when a job of that id already existed. */
  enqueue(message: DetectionMessage): Promise<EnqueueOutcome> {
    if (this.closed) return Promise.reject(closingError());
    return new Promise((resolve, reject) => {
      this.next.push({ message, jobId: detectionJobId(message.eventId, message.seq), resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Whatever else this turn of the event loop hands in rides along.
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Stops sending: whatever was not stored yet fails (its journal entry stays for the next start). */
  close(): void {
    this.closed = true;
    this.closing.abort();
    if (!this.flushing) this.failAll();
  }

  private async flush(): Promise<void> {
    let failures = 0;
    while (this.next.length && !this.closed) {
      const batch = this.next.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.store(batch);
        failures = 0;
        batch.forEach((w, i) => w.resolve(outcomes[i]));
      } catch (err) {
        this.next.unshift(...batch);
        failures++;
        this.log.warn({ err: (err as Error).message, jobs: batch.length, attempt: failures }, 'ingest: could not queue detection jobs; trying the batch again');
        await sleep(Math.min(this.retryDelayMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS), undefined, { signal: this.closing.signal }).catch(() => undefined);
      }
    }
    this.flushing = false;
    if (this.closed) this.failAll();
  }

  private failAll(): void {
    const err = closingError();
    for (const w of this.next.splice(0)) w.reject(err);
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

const closingError = (): StreetWatchError => new StreetWatchError('INGEST_CLOSING', 'the ingest is closing: the detection job was not stored');

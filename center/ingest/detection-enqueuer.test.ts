/** The detection enqueuer against the real Redis and BullMQ; only the queue's addBulk is made to fail, once. */
import { Queue, type ConnectionOptions } from 'bullmq';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../../ticketing/queues.js';
import { DetectionEnqueuer, type EnqueueOutcome } from './detection-enqueuer.js';
import { detection, redisNamespaces } from './test-fixtures.js';

const silent = pino({ level: 'silent' });

/** The real queue, except that its first addBulk waits for `fail()` and then throws, as when Redis drops the connection. */
class FailsOnce extends Queue<DetectionJob> {
  private failed = false;
  private release!: () => void;
  private calledFirst!: () => void;
  readonly firstCall = new Promise<void>((called) => (this.calledFirst = called));

  fail(): void {
    this.release();
  }

  override async addBulk(...args: Parameters<Queue<DetectionJob>['addBulk']>) {
    if (this.failed) return super.addBulk(...args);
    this.failed = true;
    const released = new Promise<void>((r) => (this.release = r));
    this.calledFirst();
    await released;
    throw new Error('Connection is closed.');
  }
}

describe('DetectionEnqueuer (Redis)', () => {
  const ns = redisNamespaces();

  it("keeps a device's jobs in order across a batch that failed: a later message cannot overtake the retried one", async () => {
    const queue = new FailsOnce(QUEUE_NAMES.detections, { connection: ns.redis() as unknown as ConnectionOptions, prefix: ns.freshPrefix() });
    const enqueuer = new DetectionEnqueuer(queue, ns.redis(), { removeOnComplete: true }, silent, { retryDelayMs: 10 });
    try {
      const started = detection('pole-1', 'cam-1');
      const ended = { ...started, seq: 1, state: 'ended' as const, reason: 'left' as const };
      // As the ingest does: a caller whose job failed to be stored hands the message in again.
      const handle = (m: DetectionJob): Promise<EnqueueOutcome> => enqueuer.enqueue(m).catch(() => handle(m));
      const first = handle(started);
      await queue.firstCall; // `started` is on its way to Redis; the device's line moved on
      const second = handle(ended);
      queue.fail();
      await Promise.all([first, second]);

      const waiting = (await ns.redis().lrange(queue.toKey('wait'), 0, -1)).reverse();
      expect(waiting).toEqual([detectionJobId(started.eventId, 0), detectionJobId(started.eventId, 1)]);
    } finally {
      enqueuer.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('on close stops retrying a batch Redis keeps refusing, and fails its callers (the journal keeps their messages)', async () => {
    let calls = 0;
    let called!: () => void;
    const firstCall = new Promise<void>((r) => (called = r));
    const queue = new (class extends Queue<DetectionJob> {
      override async addBulk(): Promise<never> {
        calls++;
        called();
        throw new Error('Connection is closed.');
      }
    })(QUEUE_NAMES.detections, { connection: ns.redis() as unknown as ConnectionOptions, prefix: ns.freshPrefix() });
    const enqueuer = new DetectionEnqueuer(queue, ns.redis(), {}, silent, { retryDelayMs: 60_000 });
    try {
      const pending = enqueuer.enqueue(detection('pole-1', 'cam-1'));
      await firstCall;
      enqueuer.close();
      await expect(pending).rejects.toMatchObject({ code: 'INGEST_CLOSING' });
      await expect(enqueuer.enqueue(detection('pole-1', 'cam-1'))).rejects.toMatchObject({ code: 'INGEST_CLOSING' });
      expect(calls).toBe(1);
    } finally {
      await queue.close();
    }
  });
});

/**
 * BullMQ queues of the centre and the data their jobs carry. Every queue shares the Redis key
 * prefix (a hash tag such as `{sw}`) so all keys land in one Redis Cluster slot.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import type { RedisClient } from '../common/redis.js';
import type { DetectionMessage, DispatchKind } from '../contract/index.js';
import type { SlaLevel } from './work-order.js';

export const QUEUE_NAMES = { detections: 'detections', dispatch: 'dispatch', sla: 'sla', verify: 'verify' } as const;

/** A validated detection; job id `<eventId>-<seq>` so a redelivered copy never makes a second job. */
export type DetectionJob = DetectionMessage;

export type { DispatchKind };
/** One outgoing notification about an order; retried with exponential backoff. */
export interface DispatchJob {
  orderId: string;
  kind: DispatchKind;
  /** Supervisor notifications go to the team's supervisorWebhook; reporter ones to the Open311 client's callbackUrl. */
  audience: 'team' | 'supervisor' | 'reporter';
  /** Reporter notices: the Open311 client. */
  client?: string;
  /**
   * The team it is meant for, fixed when it is queued: a reassignment must not turn a notice meant
   * for the old team into one for the new. Jobs queued before it existed go to the order's team.
   */
  team?: string;
  note?: string;
}

/** A delayed job that fires when an order's SLA turns yellow or red. */
export interface SlaJob {
  orderId: string;
  level: Exclude<SlaLevel, 'green'>;
}

/** A delayed job that fires when the camera's time to confirm an officer's resolve (ending at `until`) is over. */
export interface VerifyJob {
  orderId: string;
  until: string;
}

export const detectionJobId = (eventId: string, seq: number): string => `${eventId}-${seq}`;

export interface Queues {
  detections: Queue<DetectionJob>;
  dispatch: Queue<DispatchJob>;
  sla: Queue<SlaJob>;
  verify: Queue<VerifyJob>;
  /** The connection the queues were made on, for what goes with their jobs (the dispatch lines). */
  connection: RedisClient;
  close(): Promise<void>;
}

/** `connection` is a ready ioredis client (BullMQ in ESM gets no ioredis of its own). */
export function createQueues(connection: RedisClient, prefix: string): Queues {
  const opts = { connection: connection as unknown as ConnectionOptions, prefix };
  const detections = new Queue<DetectionJob>(QUEUE_NAMES.detections, opts);
  const dispatch = new Queue<DispatchJob>(QUEUE_NAMES.dispatch, opts);
  const sla = new Queue<SlaJob>(QUEUE_NAMES.sla, opts);
  const verify = new Queue<VerifyJob>(QUEUE_NAMES.verify, opts);
  return {
    detections, dispatch, sla, verify, connection,
    close: async () => {
      await Promise.all([detections.close(), dispatch.close(), sla.close(), verify.close()]);
    },
  };
}

/**
 * The outbox: the side effects of an order change (SLA timers to schedule or cancel, notices to
 * send), written by the same Lua commit as the order (lua/commit.ts), so an order never exists
 * without them. The drainer (outbox-drainer.ts) turns them into BullMQ jobs.
 *
 * Key: `<prefix>:outbox`, a Redis stream under the prefix's hash tag (one Cluster slot with the
 * orders). One stream entry per commit; its field `e` holds the JSON array of that commit's effects.
 */
import { z } from 'zod';
import { dispatchKind } from '../contract/index.js';
import type { WorkOrder } from './work-order.js';

export const outboxKey = (prefix: string): string => `${prefix}:outbox`;
/** The stream field holding an entry's effects. */
export const OUTBOX_FIELD = 'e';

export const outboxEffectSchema = z.discriminatedUnion('do', [
  /** Start the order's SLA timers; times are absolute (epoch ms) so a late drain fires them on time. */
  z.strictObject({ do: z.literal('sla'), orderId: z.string().min(1), yellowAtMs: z.number(), redAtMs: z.number() }),
  /** The order closed: its pending timers go. */
  z.strictObject({ do: z.literal('sla-cancel'), orderId: z.string().min(1) }),
  /** Wait for the camera to confirm a resolve until `until` (the job fires then); `seq` tells one wait from a later one. */
  z.strictObject({ do: z.literal('verify'), orderId: z.string().min(1), until: z.string().min(1), seq: z.string().min(1) }),
  /** One notice; `seq` is fixed at commit time, so draining an entry twice queues one job. */
  z.strictObject({
    do: z.literal('notice'),
    orderId: z.string().min(1),
    kind: dispatchKind,
    audience: z.enum(['team', 'supervisor', 'reporter']),
    /** Reporter notices: the Open311 client to call back. */
    client: z.string().min(1).optional(),
    /** The team it is meant for (absent in entries written before it existed: the order's team). */
    team: z.string().min(1).optional(),
    note: z.string().optional(),
    seq: z.string().min(1),
  }),
]);
export type OutboxEffect = z.output<typeof outboxEffectSchema>;
export const outboxEntrySchema = z.array(outboxEffectSchema);

/**
 * What a change of an order must cause, decided on the very order the commit replaces (`prev`,
 * null for a new order) and writes (`next`); called again on each retried commit.
 */
export type OutboxFn = (prev: WorkOrder | null, next: WorkOrder) => OutboxEffect[];

/** Several changes' worth of side effects decided for one commit. */
export const allOf = (...fns: OutboxFn[]): OutboxFn => (prev, next) => fns.flatMap((fn) => fn(prev, next));

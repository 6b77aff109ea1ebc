/**
 * The outbox drainer (worker role; one per worker process): turns the side effects the order
 * commits wrote into the outbox stream (outbox.ts) into BullMQ jobs.
 *
 * A consumer group hands each entry to one drainer; a blocking read takes a fresh entry within
 * milliseconds. Jobs go in bulk with fixed ids, so an entry drained twice queues nothing twice;
 * only then is the entry acknowledged and deleted. An entry taken by a drainer that died before
 * that is claimed by another once it has been idle `claimIdleMs`: the bound on how late a notice
 * can be after a crash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { duplicateRedis, type RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';
import { describeIssues } from '../contract/index.js';
import { dispatchJob, queueNotices } from './dispatcher.js';
import { OUTBOX_FIELD, outboxEntrySchema, outboxKey, type OutboxEffect } from './outbox.js';
import type { Queues } from './queues.js';
import { cancelSla, slaTimerJobs } from './sla-timers.js';
import { verifyTimerJob } from './verification-timer.js';

export const OUTBOX_GROUP = 'drainers';
/** Default idle time after which another drainer takes over a dead one's entries. */
export const DEFAULT_CLAIM_IDLE_MS = 5000;

type StreamEntry = [id: string, fields: string[] | null];

export interface OutboxDrainerOptions {
  /** Duplicated for the blocking read. */
  redis: RedisClient;
  prefix: string;
  queues: Queues;
  /** Its name in the consumer group: the process's `--instance`, stable across restarts (so the group does not grow). */
  consumer: string;
  logger: Logger;
  claimIdleMs?: number;
  /** Entries per read. Default 500. */
  batch?: number;
  /** Called with the ids of entries taken, before their jobs are queued (tests stop a process here). */
  beforeEnqueue?: (ids: string[]) => Promise<void>;
}

/** What one batch of entries asks for, grouped for bulk calls. */
export interface DrainPlan {
  notices: ReturnType<typeof dispatchJob>[];
  timers: ReturnType<typeof slaTimerJobs>;
  cancels: string[];
  verifies: ReturnType<typeof verifyTimerJob>[];
  /** Entries that are not outbox entries: logged and dropped, never retried forever. */
  unreadable: { id: string; reason: string }[];
}

/** Pure: the jobs a batch of entries asks for; SLA delays count from `nowMs`. */
export function planDrain(entries: readonly StreamEntry[], nowMs: number): DrainPlan {
  const plan: DrainPlan = { notices: [], timers: [], cancels: [], verifies: [], unreadable: [] };
  for (const [id, fields] of entries) {
    const effects = readEntry(fields);
    if (typeof effects === 'string') {
      plan.unreadable.push({ id, reason: effects });
      continue;
    }
    for (const e of effects) addEffect(plan, e, nowMs);
  }
  return plan;
}

function readEntry(fields: string[] | null): OutboxEffect[] | string {
  const i = fields?.indexOf(OUTBOX_FIELD) ?? -1;
  if (!fields || i < 0 || i % 2 !== 0) return `no field ${OUTBOX_FIELD}`;
  let json: unknown;
  try {
    json = JSON.parse(fields[i + 1]!);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  const res = outboxEntrySchema.safeParse(json);
  return res.success ? res.data : describeIssues(res.error.issues);
}

function addEffect(plan: DrainPlan, e: OutboxEffect, nowMs: number): void {
  if (e.do === 'sla') plan.timers.push(...slaTimerJobs(e.orderId, e, nowMs));
  else if (e.do === 'sla-cancel') plan.cancels.push(e.orderId);
  else if (e.do === 'verify') plan.verifies.push(verifyTimerJob(e, nowMs));
  else plan.notices.push(dispatchJob({ orderId: e.orderId, kind: e.kind, audience: e.audience, seq: e.seq, ...(e.team ? { team: e.team } : {}), ...(e.client ? { client: e.client } : {}), ...(e.note ? { note: e.note } : {}) }));
}

export class OutboxDrainer {
  private readonly key: string;
  private readonly claimIdleMs: number;
  private readonly batch: number;
  private readonly log: Logger;
  private readonly reader: RedisClient;
  private running: Promise<void> | null = null;
  private closed = false;
  private groupReady = false;

  constructor(private readonly o: OutboxDrainerOptions) {
    this.key = outboxKey(o.prefix);
    this.claimIdleMs = o.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS;
    this.batch = o.batch ?? 500;
    this.log = o.logger.child({ component: 'outbox' });
    this.reader = duplicateRedis(o.redis);
  }

  /** Drains in the background until `close`. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Takes over entries idle past the claim time, then everything new; without blocking. Returns entries handled. */
  async drainOnce(): Promise<number> {
    await this.ensureGroup();
    return (await this.claimIdle()) + (await this.readNew(null));
  }

  async close(): Promise<void> {
    this.closed = true;
    // The blocking read ends with the connection.
    this.reader.disconnect();
    await this.running;
  }

  private async loop(): Promise<void> {
    let lastClaim = 0;
    while (!this.closed) {
      try {
        await this.ensureGroup();
        // Claims are checked at a fraction of the idle time, so a dead drainer's entries wait at most ~1.25× it.
        if (Date.now() - lastClaim >= this.claimIdleMs / 4) {
          lastClaim = Date.now();
          await this.claimIdle();
        }
        await this.readNew(Math.min(1000, this.claimIdleMs / 4));
      } catch (err) {
        if (this.closed) break;
        this.log.error({ err: (err as Error).message }, 'outbox drain failed; retrying in 1 s');
        this.groupReady = false;
        await sleep(1000);
      }
    }
  }

  /** From the stream's start: entries committed before any worker ever ran are drained too. */
  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.o.redis.xgroup('CREATE', this.key, OUTBOX_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.startsWith('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  private async readNew(blockMs: number | null): Promise<number> {
    const { consumer } = this.o;
    const res = (blockMs === null
      ? await this.reader.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', this.batch, 'STREAMS', this.key, '>')
      : await this.reader.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', this.batch, 'BLOCK', Math.max(1, Math.round(blockMs)), 'STREAMS', this.key, '>')) as
      | [string, StreamEntry[]][]
      | null;
    const entries = res?.[0]?.[1] ?? [];
    if (entries.length) await this.handle(entries);
    return entries.length;
  }

  private async claimIdle(): Promise<number> {
    let handled = 0;
    for (let cursor = '0-0'; ; ) {
      const [next, entries] = (await this.o.redis.call('XAUTOCLAIM', this.key, OUTBOX_GROUP, this.o.consumer, this.claimIdleMs, cursor, 'COUNT', this.batch)) as [string, StreamEntry[]];
      if (entries.length) {
        this.log.warn({ entries: entries.length }, 'outbox entries of a stopped drainer taken over');
        await this.handle(entries);
        handled += entries.length;
      }
      if (next === '0-0') return handled;
      cursor = next;
    }
  }

  private async handle(entries: StreamEntry[]): Promise<void> {
    const ids = entries.map(([id]) => id);
    await this.o.beforeEnqueue?.(ids);
    const plan = planDrain(entries, Date.now());
    for (const u of plan.unreadable) this.log.error({ entryId: u.id, reason: u.reason, code: 'OUTBOX_ENTRY_UNREADABLE' }, 'outbox entry dropped: cannot be read');
    const { sla, verify } = this.o.queues;
    await Promise.all([
      plan.notices.length ? queueNotices(this.o.queues, plan.notices) : null,
      plan.timers.length ? sla.addBulk(plan.timers) : null,
      plan.verifies.length ? verify.addBulk(plan.verifies) : null,
    ]);
    // After the adds: a batch holding an order's timers and then its closing removes them.
    await Promise.all(plan.cancels.map((orderId) => cancelSla(this.o.queues, orderId)));
    await this.o.redis.multi().xack(this.key, OUTBOX_GROUP, ...ids).xdel(this.key, ...ids).exec();
  }
}

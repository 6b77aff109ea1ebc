/**
 * Dispatch: a BullMQ worker on the `dispatch` queue that tells the order's team (signed webhook +
 * MQTT team topic) or its supervisor (signed webhook, plate masked) about an order.
 *
 * Delivery is at-least-once with a stable Idempotency-Key, so receivers drop repeats. A failing
 * receiver is retried with capped exponential backoff for at least `dispatch.retryForMinutes`;
 * after that the job stays in BullMQ's failed set (see `dispatchFailures`) and an error is logged.
 *
 * The notices of one order to one team (and audience) go out one at a time, in the order they were
 * queued, retries included: each is queued into a line (a Redis list of job ids under the queue's
 * keys) as well as the queue, and a worker that takes one with another still unfinished ahead of it
 * puts it back for a moment. So a stand-down never overtakes its order, whatever the concurrency.
 * A delivery costs the line one round trip (lua/line-turn.ts), which reads the order too: finished
 * notices are dropped from their line by the next notice's turn, not by a write of their own.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job, type Queue } from 'bullmq';
import type { RedisClient } from '../common/redis.js';
import type { MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import type { Logger } from '../common/logger.js';
import { randomPool } from '../common/random-pool.js';
import { withTimeout } from '../common/timeout.js';
import { DELIVERY, topics, type DispatchMessage, type TeamOrderMessage } from '../contract/index.js';
import type { CenterConfig, WebhookConfig } from '../center/config.js';
import { serviceRequestOptions, toServiceRequest } from './open311-request.js';
import { maskOrderForAudience, maskPlate } from './plate-mask.js';
import { QUEUE_NAMES, type DispatchJob, type DispatchKind, type Queues } from './queues.js';
import type { WorkOrderStore } from './store-types.js';
import { lineQueueScript } from './lua/line-queue.js';
import { lineTurnScript } from './lua/line-turn.js';
import { runScript } from './lua/script.js';
import { isOpen, type WorkOrder } from './work-order.js';
import { postWebhook, WebhookError } from './webhook.js';
import { orderNotice, pushRecipients, type WebPushService } from './web-push.js';

/** What is stored in the job: the DispatchJob plus the `<n>` of its idempotency key. */
export type DispatchJobData = DispatchJob & { seq: string };

/** Kinds sent once per order and audience; `update` can happen many times. */
const ONCE_PER_ORDER: ReadonlySet<DispatchKind> = new Set(['order', 'stand_down', 'sla_yellow', 'sla_red']);

/** Custom backoff type name; the worker's `backoffStrategy` implements it. */
const BACKOFF_TYPE = 'streetwatch-capped';
/** Only a safety net: retries end by elapsed time (retryForMinutes), long before this many. */
const MAX_ATTEMPTS = 1000;
/** Completed jobs are kept this long so a duplicate enqueue (same jobId) is a no-op, not a resend. */
export const KEEP_COMPLETED_SECONDS = 7 * 24 * 3600;

/** `<orderId>:<kind>:<n>`; supervisor and reporter copies get `:<audience>` so a shared endpoint keeps each. */
export function idempotencyKey(job: DispatchJobData): string {
  const base = `${job.orderId}:${job.kind}:${job.seq}`;
  return job.audience === 'team' ? base : `${base}:${job.audience}`;
}

/** BullMQ forbids `:` in custom ids, hence dashes. */
export const dispatchJobId = (job: DispatchJobData): string => `${job.orderId}-${job.audience}-${job.kind}-${job.seq}`;

/**
 * Queues one notification. Kinds that happen once per order get `<n>` = 1, so enqueuing the same
 * notification twice (a retried detection job, two instances) sends it once. For `update`, pass
 * `seq` (e.g. the order's audit length or the evidence id that prompted it) to get the same
 * guarantee; without it every call is a new update with a fresh id — never a silently lost one.
 */
export async function enqueueDispatch(queues: Queues, job: DispatchJob, opts: { seq?: string | number } = {}): Promise<void> {
  const seq = opts.seq !== undefined ? String(opts.seq) : ONCE_PER_ORDER.has(job.kind) ? '1' : ulid(undefined, randomPool);
  await queueNotices(queues, [dispatchJob({ ...job, seq })]);
}

/**
 * How long a notice waiting for an earlier one of its line is put back for: doubling with each
 * wait up to the maximum, so a line held up by a receiver that is down costs little.
 */
const LINE_WAIT_MS = 200;
const MAX_LINE_WAIT_MS = 5000;
/** A line outlives any notice in it (completed jobs are kept 7 days; retries end long before). */
const LINE_TTL_MS = (KEEP_COMPLETED_SECONDS + 24 * 3600) * 1000;
/**
 * A line whose last notice is being delivered: long enough for the delivery and, should its worker
 * die, for BullMQ to hand the stalled job on (checked every 30 s). A failed attempt puts the line
 * back to LINE_TTL_MS for its retries; a later notice does too.
 */
const LINE_HOLD_MS = 10 * 60_000;

/** The line of one order's notices to one audience of one team (jobs without a team, queued before lines existed, have none). */
const lineKey = (queue: Pick<Queue, 'toKey'>, d: DispatchJob): string => queue.toKey(`line:${d.orderId}:${d.audience}:${d.team}`);

/**
 * Queues notices (in order) into their lines, then as jobs. A job id already in its line or queue
 * (a notice queued twice) changes nothing: its first place counts, the repeat is dropped when done.
 */
export async function queueNotices(queues: Pick<Queues, 'dispatch' | 'connection'>, jobs: readonly ReturnType<typeof dispatchJob>[]): Promise<void> {
  const queue = queues.dispatch;
  const lines = new Map<string, number>(); // line → its 1-based index in KEYS
  const argv: (string | number)[] = [LINE_TTL_MS];
  for (const j of jobs) {
    if (!j.data.team) continue;
    const key = lineKey(queue, j.data);
    if (!lines.has(key)) lines.set(key, lines.size + 1);
    argv.push(lines.get(key)!, j.opts.jobId);
  }
  if (lines.size) await runScript(queues.connection, lineQueueScript, [...lines.keys()], argv);
  await queue.addBulk([...jobs]);
}

/** The BullMQ job of one notification (for `add` or `addBulk`): its id is fixed by the data. */
export function dispatchJob(data: DispatchJobData) {
  return {
    name: data.kind,
    data,
    opts: {
      jobId: dispatchJobId(data),
      attempts: MAX_ATTEMPTS,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
      // Failed jobs are the record of undelivered notifications: never removed automatically.
      removeOnFail: false,
      stackTraceLimit: 3,
    },
  };
}

export interface RetryPolicy {
  /** First retry delay; doubles each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retries stop once this long has passed since the first attempt. */
  retryForMs: number;
}

export const DEFAULT_BACKOFF = { baseDelayMs: 2000, maxDelayMs: 5 * 60_000 } as const;

/**
 * A delivery is a few milliseconds of CPU and tens of milliseconds of waiting (MQTT PUBACK, the
 * receiver): with 4 at once, 200 orders/s queued behind each other for ~0.7 s.
 */
const DEFAULT_CONCURRENCY = 32;

/** Delay before retry `attemptsMade` (1-based), or -1 (BullMQ: give up) once the window is spent. */
export function retryDelay(policy: RetryPolicy, attemptsMade: number, firstAttemptMs: number, nowMs: number): number {
  if (nowMs - firstAttemptMs >= policy.retryForMs) return -1;
  return Math.min(policy.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1), policy.maxDelayMs);
}

export interface DispatcherOptions {
  /** A ready ioredis client with `maxRetriesPerRequest: null`; BullMQ duplicates it for blocking reads. */
  connection: RedisClient;
  prefix: string;
  store: WorkOrderStore;
  /** Without `open311`, reporter notices find no client and are skipped; `http.publicUrl` makes their media links absolute. */
  config: Pick<CenterConfig, 'teams' | 'rootTopic' | 'dispatch'> & Partial<Pick<CenterConfig, 'open311'>> & { http?: Pick<CenterConfig['http'], 'publicUrl'> };
  /** Connected mqtt.js client used for the teams' order topics. */
  mqtt: MqttClient;
  logger: Logger;
  /** Override the 2 s → 5 min backoff (tests use milliseconds). */
  backoff?: Partial<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>>;
  /** Deliveries under way at once. Default 32: a delivery mostly waits on the network. */
  concurrency?: number;
  /** Web Push to the officers' phones of a new (or reassigned) order; without it, none. */
  push?: Pick<WebPushService, 'notify'>;
}

export interface Dispatcher {
  readonly worker: Worker<DispatchJobData>;
  close(): Promise<void>;
}

export function startDispatcher(opts: DispatcherOptions): Dispatcher {
  const policy: RetryPolicy = {
    ...DEFAULT_BACKOFF,
    ...opts.backoff,
    retryForMs: opts.config.dispatch.retryForMinutes * 60_000,
  };
  const log = opts.logger.child({ component: 'dispatcher' });

  const worker: Worker<DispatchJobData> = new Worker<DispatchJobData>(QUEUE_NAMES.dispatch, (job, token) => deliverInLine(worker, job, token, opts, log), {
    connection: opts.connection as unknown as ConnectionOptions,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    settings: {
      backoffStrategy: (attemptsMade, _type, _err, job) => retryDelay(policy, attemptsMade, firstAttempt(job), Date.now()),
    },
  });

  worker.on('failed', (job, err) => {
    if (!job) return;
    const ctx = { orderId: job.data.orderId, kind: job.data.kind, audience: job.data.audience, jobId: job.id, attempt: job.attemptsMade, err: err.message };
    // finishedOn is set only when BullMQ gave up (no retry scheduled).
    if (job.finishedOn) log.error({ ...ctx, code: 'DISPATCH_GAVE_UP' }, 'dispatch failed for good; the job stays in the failed set');
    else log.warn({ ...ctx, ...(err instanceof WebhookError ? { status: err.status, looksPermanent: err.looksPermanent } : {}) }, 'dispatch attempt failed; retrying');
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'dispatch worker error'));

  return { worker, close: () => worker.close() };
}

/**
 * Kept in the job's progress, so it survives retries and worker restarts. Written only when an
 * attempt fails: a delivery that works at once costs no extra round trip. A crash between the MQTT
 * publish and the webhook (no failed attempt to record it) publishes again on the retry, with the
 * same idempotency key, like any at-least-once redelivery.
 */
interface Progress {
  /** Epoch ms of the first attempt: the retry window counts from here, not from enqueueing (the centre may have been down). */
  firstAttemptAt?: number;
  mqtt?: boolean;
  push?: boolean;
}

const progressOf = (job: { progress: unknown } | undefined): Progress =>
  typeof job?.progress === 'object' && job.progress !== null ? (job.progress as Progress) : {};

function firstAttempt(job: { progress: unknown; timestamp: number } | undefined): number {
  return progressOf(job).firstAttemptAt ?? job?.timestamp ?? Date.now();
}

/** Delivers once every notice ahead of this one in its line has finished; until then puts it back (not an attempt). */
async function deliverInLine(worker: Worker<DispatchJobData>, job: Job<DispatchJobData>, token: string | undefined, opts: DispatcherOptions, log: Logger): Promise<string> {
  const line = job.data.team ? lineKey(worker, job.data) : null;
  let ahead = false;
  const order = line
    ? opts.store.getWith(job.data.orderId, async (orderKey) => {
        const [turn, raw] = (await runScript(opts.connection, lineTurnScript, [line, orderKey], [job.id!, worker.toKey(''), LINE_HOLD_MS])) as [number, string | null];
        ahead = turn !== 1;
        return raw ?? null;
      })
    : opts.store.get(job.data.orderId);
  // A failed read is the delivery attempt's failure (deliver records it), as when deliver read the order itself.
  await order.catch(() => undefined);
  if (ahead) {
    const waits = Math.max(0, job.attemptsStarted - job.attemptsMade - 1); // each take counts as started
    await job.moveToDelayed(Date.now() + Math.min(LINE_WAIT_MS * 2 ** waits, MAX_LINE_WAIT_MS), token);
    throw new DelayedError();
  }
  // Finished, the job leaves its line by itself (the next notice's turn drops it): no write here.
  return deliver(job, order, line, opts, log);
}

/** One attempt; a failed one is recorded in the job's progress and keeps its line (if any) for the retries. */
async function deliver(job: Job<DispatchJobData>, read: Promise<WorkOrder | null>, line: string | null, opts: DispatcherOptions, log: Logger): Promise<string> {
  // Steps already done in an earlier attempt are not repeated (MQTT must not re-publish while a webhook retries).
  const done: Progress = { ...progressOf(job), firstAttemptAt: progressOf(job).firstAttemptAt ?? Date.now() };
  try {
    return await deliverOnce(job, read, done, opts, log);
  } catch (err) {
    await Promise.all([job.updateProgress({ ...done }), line ? opts.connection.pexpire(line, LINE_TTL_MS) : null]).catch((recordErr: unknown) => {
      log.warn({ jobId: job.id, err: (recordErr as Error).message }, 'dispatch: could not record the failed attempt');
    });
    throw err;
  }
}

/** One attempt on the order as read at its turn; records finished steps in `done`. */
async function deliverOnce(job: Job<DispatchJobData>, read: Promise<WorkOrder | null>, done: Progress, opts: DispatcherOptions, log: Logger): Promise<string> {
  const data = job.data;
  const order = await read;
  if (!order) throw new UnrecoverableError(`no work order ${data.orderId}`);
  const ctx = { orderId: order.id, kind: data.kind, audience: data.audience, jobId: job.id };
  // The reporter hears of every change, closing ones included, whichever team has the order.
  if (data.audience === 'reporter') return callBackReporter(data, order, opts, log, ctx);
  // A new order or an escalation about an order that has since closed would only mislead.
  if (data.kind !== 'stand_down' && !isOpen(order.state)) {
    log.info({ ...ctx, state: order.state }, 'order closed before dispatch; not sent');
    return 'closed';
  }
  // To the team it was queued for. Moved to another team since, the order is no longer theirs: only
  // their stand-down (which the reassignment queued) still concerns them.
  const teamId = data.team ?? order.team;
  if (teamId !== order.team && data.kind !== 'stand_down') {
    log.info({ ...ctx, team: teamId, nowTeam: order.team }, 'order reassigned to another team before dispatch; not sent');
    return 'reassigned';
  }
  const team = opts.config.teams.find((t) => t.id === teamId);
  const key = idempotencyKey(data);

  if (data.audience === 'team' && !done.mqtt) {
    const msg: TeamOrderMessage = { ...message(data, order), idempotencyKey: key };
    await withTimeout(
      opts.mqtt.publishAsync(topics.teamOrders(opts.config.rootTopic, teamId), JSON.stringify(msg), DELIVERY.teamOrders),
      opts.config.dispatch.timeoutMs,
      'MQTT publish',
    );
    done.mqtt = true;
  }

  // A doorbell on the officers' phones (best effort, never retried: the notice itself is above).
  if (data.audience === 'team' && data.kind === 'order' && opts.push && !done.push) {
    await opts.push.notify(pushRecipients(order, team?.officers.map((o) => o.id) ?? []), orderNotice(order));
    done.push = true;
  }

  const hook: WebhookConfig | undefined = data.audience === 'team' ? team?.webhook : team?.supervisorWebhook;
  if (!hook) {
    log.info(ctx, data.audience === 'team' ? 'team has no webhook; MQTT only' : 'team has no supervisor webhook; skipped');
    return 'no-webhook';
  }
  const body = message(data, maskOrderForAudience(order, data.audience));
  const { status } = await postWebhook({ url: hook.url, secret: hook.secret, body, idempotencyKey: key, event: data.kind, timeoutMs: opts.config.dispatch.timeoutMs });
  // One line per notification is too many at city scale: debug; failures are logged at warn/error.
  log.debug({ ...ctx, status, attempt: job.attemptsMade + 1 }, 'dispatched');
  return 'sent';
}

/** The Open311 client's callback: the order as its service request (public: plate masked), signed with the client's secret. */
async function callBackReporter(data: DispatchJobData, order: WorkOrder, opts: DispatcherOptions, log: Logger, ctx: object): Promise<string> {
  const client = opts.config.open311?.clients.find((c) => c.id === data.client);
  if (!client?.callbackUrl || !client.callbackSecret) {
    log.info({ ...ctx, client: data.client }, 'Open311 client has no callback; skipped');
    return 'no-webhook';
  }
  const body = toServiceRequest(order, serviceRequestOptions(opts.config.teams, opts.config.http?.publicUrl ?? '', maskPlate));
  const { status } = await postWebhook({ url: client.callbackUrl, secret: client.callbackSecret, body, idempotencyKey: idempotencyKey(data), event: 'service_request', timeoutMs: opts.config.dispatch.timeoutMs });
  log.debug({ ...ctx, client: client.id, status }, 'reporter called back');
  return 'sent';
}

function message(data: DispatchJobData, order: WorkOrder): DispatchMessage {
  return { kind: data.kind, order, ...(data.note ? { note: data.note } : {}) };
}

export interface DispatchFailure {
  jobId: string;
  orderId: string;
  kind: DispatchKind;
  audience: DispatchJob['audience'];
  idempotencyKey: string;
  attempts: number;
  failedReason: string;
  failedAt: string | null;
}

/** Notifications BullMQ gave up on, newest first — for the health view and for a manual retry. */
export async function dispatchFailures(queues: Queues, limit = 100): Promise<DispatchFailure[]> {
  const jobs = await queues.dispatch.getFailed(0, limit - 1);
  return jobs.map((j) => {
    const data = j.data as DispatchJobData;
    return {
      jobId: String(j.id),
      orderId: data.orderId,
      kind: data.kind,
      audience: data.audience,
      idempotencyKey: idempotencyKey(data),
      attempts: j.attemptsMade,
      failedReason: j.failedReason,
      failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
    };
  });
}

/**
 * An action taken where no worker runs (an `api`-only process: an operator confirms, a supervisor
 * cancels) sends its notices anyway: the commit puts them in the outbox, and a `worker` centre
 * started later drains them to the team's webhook, even while it waits for another process's
 * order index migration. Real Redis, Mosquitto and centre.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { centerConfigSchema } from '../center/config.js';
import { NoopMetricsWriter } from '../center/metrics/points.js';
import { createQueues } from '../ticketing/queues.js';
import { indexesLockKey, indexesMigratedKey } from '../ticketing/index-migration.js';
import { migratedKey } from '../ticketing/order-notices.js';
import { outboxKey } from '../ticketing/outbox.js';
import { openTestOrder } from '../ticketing/test-orders.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { Workflow } from '../ticketing/workflow.js';
import { tempDir } from './fixtures.js';
import { centreQuiet } from './helpers/centre-quiet.js';
import { deleteKeys } from './helpers/redis-keys.js';
import { waitFor } from './helpers/processes.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

describe('notices of actions taken without a worker', () => {
  const redis = new Redis({ maxRetriesPerRequest: null });
  const prefixes: string[] = [];
  const workers: Promise<RunningCenter>[] = [];
  let receiver: WebhookReceiver;
  const posts = () => receiver.posts.map((p) => ({ kind: p.kind, orderId: p.orderId, key: p.headers['idempotency-key'] as string | undefined }));

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });
  afterAll(async () => {
    // A worker still waiting for the index migration (a failed test) starts, then closes.
    for (const p of prefixes) await redis.set(indexesMigratedKey(p), 'test over');
    for (const w of workers) await (await w).close();
    for (const p of prefixes) await deleteKeys(redis, p);
    redis.disconnect();
  });

  /** An installation whose `api` processes confirmed one order and cancelled another: two notices in the outbox. */
  async function twoNoticesInTheOutbox() {
    const id = randomBytes(4).toString('hex');
    const prefix = `{swoutbox-${id}}`;
    prefixes.push(prefix);
    const config = centerConfigSchema.parse({
      rootTopic: `swtest-${id}/v1`, redisPrefix: prefix, dataDir: tempDir(),
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      teams: [{ id: 'team-north', webhook: { url: `${receiver.url}/orders`, secret: 'outbox-secret' }, officers: [{ id: 'li' }] }],
      defaultTeam: 'team-north',
    });
    // What an `api` process does: the same store and workflow, no drainer.
    const store = new RedisWorkOrderStore(redis, prefix);
    const api = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }) });
    const confirmed = await openTestOrder(store, { confirmed: false });
    const cancelled = await openTestOrder(store, { confirmed: true });
    await api.confirm(confirmed.id, { name: 'op-zhang' });
    await api.transition(cancelled.id, 'cancelled', { name: 'sup-wu' }, 'duplicate report');
    expect(await redis.xlen(outboxKey(prefix))).toBe(2);
    const queues = createQueues(redis, prefix);
    expect(await queues.dispatch.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0, completed: 0 });
    await queues.close();
    // Not a first start: the one-off for orders from before the outbox must not be what sends the order notice.
    await redis.set(migratedKey(prefix), 'earlier');
    const logger = createLogger('outbox-test');
    logger.level = 'warn';
    const startWorker = () => {
      const worker = startCenter({ config, roles: ['worker'], instanceId: `w-${id}`, logger });
      workers.push(worker);
      return worker;
    };
    const expectBothSent = async () => {
      await waitFor(() => receiver.posts.length >= 2, 'both notices at the webhook', 10_000);
      await centreQuiet(redis, prefix); // a stray duplicate would be sent by now
      expect(posts().sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
        { kind: 'order', orderId: confirmed.id, key: `${confirmed.id}:order:1` },
        { kind: 'stand_down', orderId: cancelled.id, key: `${cancelled.id}:stand_down:1` },
      ]);
      expect(await redis.xlen(outboxKey(prefix))).toBe(0);
    };
    return { prefix, startWorker, expectBothSent };
  }

  it('are kept in the outbox and sent once a worker process runs', async () => {
    const { startWorker, expectBothSent } = await twoNoticesInTheOutbox();
    await startWorker();
    await expectBothSent();
  }, 40_000);

  it('are sent while the worker waits for another process to put older orders into the place index', async () => {
    const { prefix, startWorker, expectBothSent } = await twoNoticesInTheOutbox();
    await redis.set(indexesLockKey(prefix), 'api-elsewhere', 'PX', 60_000);
    let started = false;
    const worker = startWorker().then(() => (started = true));
    await expectBothSent();
    expect(started).toBe(false);
    // The other process done: the worker goes on.
    await redis.set(indexesMigratedKey(prefix), 'elsewhere');
    await redis.del(indexesLockKey(prefix));
    await worker;
  }, 40_000);
});

/**
 * `streetwatch center`: the command centre in one process, or one role of it. Roles share state
 * only through Redis and the broker, so several processes (`--role ingest,worker` on one box,
 * `--role api` on another) can serve one city.
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceRegistry } from '../broker/device-registry.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { createLogger, type Logger } from '../common/logger.js';
import { checkRedis, duplicateRedis, openRedis, type RedisTarget } from '../common/redis.js';
import { CENTER_CLIENT_IDS } from '../contract/index.js';
import { startDetectionWorker } from '../ticketing/detection-worker.js';
import { startDispatcher, type Dispatcher } from '../ticketing/dispatcher.js';
import { EvidenceStore } from '../ticketing/evidence-store.js';
import { WebPushService } from '../ticketing/web-push.js';
import { schedulePruning } from '../ticketing/evidence-retention.js';
import { ensureOrderIndexes } from '../ticketing/index-migration.js';
import { migrateOrderNotices } from '../ticketing/order-notices.js';
import { OutboxDrainer } from '../ticketing/outbox-drainer.js';
import { createQueues } from '../ticketing/queues.js';
import { startSlaWorker } from '../ticketing/sla-timers.js';
import { startVerificationWorker } from '../ticketing/verification-timer.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { Workflow } from '../ticketing/workflow.js';
import type { CenterConfig } from './config.js';
import { DeadLetterStore } from './ingest/dead-letters.js';
import { DeviceStateStore } from './ingest/device-state.js';
import { Ingest, type IngestStats } from './ingest/ingest.js';
import { JournalWriter } from './ingest/journal.js';
import { watchKnownDevices } from './ingest/known-devices.js';
import { connectJournaled } from './ingest/mqtt-source.js';
import { withOrderEvents } from './live/live-orders.js';
import { livePublisher } from './live/live-relay.js';
import { createMetricsWriter } from './metrics/influx-writer.js';

export const ROLES = ['ingest', 'worker', 'api'] as const;
export type Role = (typeof ROLES)[number];

export interface CenterOptions {
  config: CenterConfig;
  roles?: readonly Role[];
  /** Names this process's persistent MQTT session; unique per instance. Default `<host>-<http port>`. */
  instanceId?: string;
  logger?: Logger;
}

export interface RunningCenter {
  /** mqtt:// URL devices connect to (the embedded broker, or the external one). */
  mqttUrl: string;
  /** http://host:port of the API and console, when the api role runs. */
  httpUrl: string | null;
  broker: EmbeddedBroker | null;
  /** Counters of this process's ingest (all its connections), when the ingest role runs. */
  ingestStats: (() => IngestStats) | null;
  close(): Promise<void>;
}


export async function startCenter(opts: CenterOptions): Promise<RunningCenter> {
  const { config } = opts;
  const roles = new Set(opts.roles ?? ROLES);
  const logger = opts.logger ?? createLogger('center', { roles: [...roles] });
  const prefix = config.redisPrefix;

  // Fail at once, with how to fix it, when Redis is not there (or is a cluster named as one server).
  const target: RedisTarget = { url: config.redisUrl, cluster: config.redisCluster };
  await checkRedis(target);
  const redis = openRedis(target);
  // On a cluster, a device message is acknowledged once a replica holds it too (see JournalWriter).
  const journalOptions = {
    replicaAckMs: config.redisCluster?.replicaAckMs ?? 0,
    onNoReplica: () => logger.warn('ingest journal: no replica of the Redis master answered; device messages are acknowledged without one (checked again in 5 s)'),
  };
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
  const closers: (() => Promise<unknown>)[] = [async () => redis.quit()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: Error) => logger.warn({ err: err.message }, 'close failed'));
  };

  try {
    const registry = new DeviceRegistry(redis, prefix);
    await registry.reserveName(config.mqtt.username); // `device add`, from any process, then refuses it
    const external = config.mqtt.url !== undefined;
    let broker: EmbeddedBroker | null = null;
    if (!external) {
      // Device messages go into the ingest journal before the broker acknowledges them. Its own
      // connection, without an offline queue: while Redis is away publishes are refused at once
      // (devices send them again) instead of piling up unacknowledged in memory. Auto-pipelined:
      // the appends of all devices made in one turn of the event loop go out in one write.
      const journalRedis = duplicateRedis(redis, { lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true });
      journalRedis.on('error', () => undefined); // the main connection reports Redis trouble
      await journalRedis.connect();
      closers.push(async () => journalRedis.disconnect());
      const journal = new JournalWriter(journalRedis, prefix, journalOptions);
      // Loaded only where it runs (aedes and its persistence): not in a process on an external broker.
      const { startEmbeddedBroker } = await import('../broker/embedded-broker.js');
      broker = await startEmbeddedBroker({
        config: { ...config.mqtt, rootTopic: config.rootTopic }, registry, redis: { ...target, prefix }, logger, onDevicePublish: (m) => journal.append(m),
      });
      closers.push(() => broker!.close());
    }
    const mqttUrl = config.mqtt.url ?? broker!.url;
    const account = broker ? broker.center : { username: config.mqtt.username, password: config.mqtt.password ?? '' };

    const queues = createQueues(redis, prefix);
    closers.push(() => queues.close());
    // Every order write, in whichever role, becomes a live event for the consoles (Redis pub/sub).
    const publishLive = livePublisher(redis, prefix, logger);
    const orders = new RedisWorkOrderStore(redis, prefix, { logger });
    const store = withOrderEvents(orders, publishLive);
    const metrics = createMetricsWriter(config.influx, { logger });
    closers.push(() => metrics.close());
    const evidence = new EvidenceStore(config.dataDir);
    const deadLetters = new DeadLetterStore(redis, prefix);
    const deviceState = new DeviceStateStore(redis, prefix);
    const workflow = new Workflow({ config, store, metrics, logger });
    // The contact push services may write to about our notices (VAPID): the centre's address if it is https.
    const pushSubject = config.http.publicUrl?.startsWith('https:') ? config.http.publicUrl : 'mailto:streetwatch@invalid';
    const push = new WebPushService(redis, prefix, pushSubject, logger);

    // aedes speaks MQTT 3.1.1 only; external brokers get MQTT 5 for shared subscriptions.
    const mqttOptions = (clientId: string, persistent: boolean): IClientOptions => ({
      username: account.username,
      password: account.password,
      protocolVersion: external ? 5 : 4,
      clientId,
      clean: !persistent,
      ...(persistent && external ? { properties: { sessionExpiryInterval: 24 * 3600 } } : {}),
      reconnectPeriod: 1000,
    });
    const connectMqtt = async (clientId: string, persistent: boolean): Promise<MqttClient> => {
      const client = await connectAsync(mqttUrl, mqttOptions(clientId, persistent));
      closers.push(() => client.endAsync());
      return client;
    };
    /** An ingest connection: its source hooked in before it connects (see connectJournaled). */
    const connectIngest = async (clientId: string, journal: JournalWriter, subscribe: boolean) => {
      const { client, source } = await connectJournaled(mqttUrl, mqttOptions(clientId, true), { journal, root: config.rootTopic, shared: external, shareGroup: config.mqtt.shareGroup, log: logger }, subscribe);
      closers.push(() => client.endAsync());
      closers.push(() => source.close());
      return { client, source };
    };
    const instance = opts.instanceId ?? `${hostname()}-${config.http.port}`;
    // Dispatch notices get their own connection.
    const mqtt = roles.has('worker') ? await connectMqtt(`${CENTER_CLIENT_IDS.worker}${instance}-${process.pid}`, false) : null;

    let ingest: Ingest | null = null;
    if (roles.has('ingest')) {
      // Its own Redis connection: the ingest's round trips must not queue behind the workers'.
      // Auto-pipelined: what its handlers send in one turn of the event loop goes out in one write.
      const ingestRedis = duplicateRedis(redis, { enableAutoPipelining: true });
      closers.push(async () => ingestRedis.quit());
      const ingestJournalRedis = duplicateRedis(redis);
      closers.push(async () => ingestJournalRedis.quit());
      const { known: knownDevice, close: stopKnownDevices } = await watchKnownDevices(registry, logger);
      closers.push(stopKnownDevices);
      ingest = new Ingest({
        redis: ingestRedis, redisPrefix: prefix, evidence, root: config.rootTopic, queue: queues.detections, deadLetters, metrics,
        knownDevice, maxEvidenceBytes: config.mqtt.maxMessageBytes, consumer: instance, journal: journalOptions, journalRedis: ingestJournalRedis, logger,
      });
      await ingest.start();
      closers.push(() => ingest!.close());
      if (external) {
        // A stable id and a persistent session: messages published while the centre restarts wait
        // at the broker. Several connections in the shared group: each acknowledges one message at a time.
        for (let i = 0; i < config.mqtt.ingestConnections; i++) await connectIngest(`${CENTER_CLIENT_IDS.ingest}${instance}${i ? `-${i}` : ''}`, ingest.journal, true);
      } else {
        // The embedded broker journals device messages itself. An ingest session left subscribed by
        // an earlier version would have the broker queue every message for it forever: take what it
        // holds into the journal (they were acknowledged to the devices), then end it.
        const legacy = await connectIngest(`${CENTER_CLIENT_IDS.ingest}${instance}`, ingest.journal, false);
        for (let seen = -1, until = Date.now() + 10_000; legacy.source.journaled !== seen && Date.now() < until; ) {
          seen = legacy.source.journaled;
          await sleep(300);
        }
        await legacy.source.close();
        await legacy.client.endAsync();
        await (await connectMqtt(`${CENTER_CLIENT_IDS.ingest}${instance}`, false)).endAsync();
      }
    }
    const ingestStats = ingest ? () => ingest!.stats() : null;

    // Reports (the API's) and camera detections (the worker's) find the open orders near them by
    // place: neither is taken before the orders of an older version are in that index.
    const indexOlderOrders = async () => {
      const indexed = await ensureOrderIndexes({ redis, prefix, store: orders, logger, holder: `${instance}-${process.pid}` });
      if (indexed) logger.info(indexed, 'orders from before the place and reporter indexes put into them once');
    };

    let dispatcher: Dispatcher | null = null;
    if (roles.has('worker')) {
      dispatcher = startDispatcher({ connection: redis, prefix, store, config, mqtt: mqtt!, logger, push });
      closers.push(() => dispatcher!.close());
      const sla = startSlaWorker({ connection: redis, prefix, store, queues, logger });
      closers.push(() => sla.close());
      const verification = startVerificationWorker({ connection: redis, prefix, workflow, logger });
      closers.push(() => verification.close());
      // Every process's order commits (the API's confirms too) write their timers and notices into
      // the outbox; the worker processes queue them, so an installation needs at least one worker.
      // Drained from before the migrations, so a long one holds no notice back (the notices'
      // migration only appends to the outbox, which the drainer reads as entries come).
      const drainer = new OutboxDrainer({ redis, prefix, queues, consumer: instance, logger });
      drainer.start();
      closers.push(() => drainer.close());
      const migrated = await migrateOrderNotices({ redis, prefix, store });
      if (migrated) logger.info(migrated, 'order notices of orders from before the outbox queued once');
      await indexOlderOrders();
      const detectionWorker = startDetectionWorker({ connection: redis, prefix, workflow, logger });
      closers.push(() => detectionWorker.close());
      if (config.evidenceRetentionDays !== undefined) {
        const stopPruning = schedulePruning({ redis, prefix, store, evidence, retentionDays: config.evidenceRetentionDays, logger });
        closers.push(async () => stopPruning());
      }
    }

    let httpUrl: string | null = null;
    if (roles.has('api')) {
      // Listens only then: a load balancer keeps sending reports to the processes that can file them.
      await indexOlderOrders();
      // Loaded only where it runs: the API's modules (fastify, the console's services) are ~25 MB of a worker's RSS.
      const { startApiRole } = await import('./api-role.js');
      httpUrl = await startApiRole({
        config, logger, redis, prefix, instance, registry, store, workflow, evidence, deadLetters, deviceState, metrics, publishLive, push, broker, ingestStats, mqtt, account, connectMqtt, closers,
      });
    }

    logger.info({ mqttUrl, httpUrl, roles: [...roles], external }, 'centre started');
    return { mqttUrl, httpUrl, broker, ingestStats, close };
  } catch (err) {
    await close();
    throw err;
  }
}

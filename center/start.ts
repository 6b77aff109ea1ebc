/**
 * `streetwatch center`: the command centre in one process, or one role of it. Roles share state
 * only through Redis and the broker, so several processes (`--role ingest,worker` on one box,
 * `--role api` on another) can serve one city.
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { DeviceRegistry } from '../broker/device-registry.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded-broker.js';
import { ExternalAuth } from '../broker/external-auth.js';
import { SessionOwners } from '../broker/session-owners.js';
import { createLogger, type Logger } from '../common/logger.js';
import { projectRoot } from '../common/paths.js';
import { checkRedis, duplicateRedis, openRedis, redisAnswers, type RedisTarget } from '../common/redis.js';
import { CENTER_CLIENT_IDS } from '../contract/index.js';
import { startDetectionWorker } from '../ticketing/detection-worker.js';
import { startDispatcher, type Dispatcher } from '../ticketing/dispatcher.js';
import { EvidenceStore } from '../ticketing/evidence-store.js';
import { schedulePruning } from '../ticketing/evidence-retention.js';
import { storeKpis } from '../ticketing/kpi.js';
import { migrateOrderNotices } from '../ticketing/order-notices.js';
import { OutboxDrainer } from '../ticketing/outbox-drainer.js';
import { maskPlate } from '../ticketing/plate-mask.js';
import { createQueues } from '../ticketing/queues.js';
import { startSlaWorker } from '../ticketing/sla-timers.js';
import { startVerificationWorker } from '../ticketing/verification-timer.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { Workflow } from '../ticketing/workflow.js';
import type { CenterConfig } from './config.js';
import { DesiredConfigStore } from './devices/desired-config-store.js';
import { deviceConfigService } from './devices/device-config-service.js';
import { exemptPlateService, scheduleExemptPlateCatchUp } from './devices/exempt-plate-service.js';
import { ExemptPlateStore } from './devices/exempt-plate-store.js';
import { listDevices } from './devices/device-list.js';
import { ModelFiles } from './devices/model-files.js';
import { modelService } from './devices/model-service.js';
import { buildApi } from './http/server.js';
import { userServices } from './users/services.js';
import { DeadLetterStore } from './ingest/dead-letters.js';
import { DeviceStateStore } from './ingest/device-state.js';
import { Ingest, type IngestStats } from './ingest/ingest.js';
import { JournalWriter } from './ingest/journal.js';
import { watchKnownDevices } from './ingest/known-devices.js';
import { connectJournaled } from './ingest/mqtt-source.js';
import { watchDevices } from './live/live-devices.js';
import { LiveHub } from './live/live-events.js';
import { withOrderEvents } from './live/live-orders.js';
import { livePublisher, relayToHub } from './live/live-relay.js';
import { createMetricsWriter } from './metrics/influx-writer.js';
import { prometheusLines } from './prometheus.js';

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
    const store = withOrderEvents(new RedisWorkOrderStore(redis, prefix, { logger }), publishLive);
    const metrics = createMetricsWriter(config.influx, { logger });
    closers.push(() => metrics.close());
    const evidence = new EvidenceStore(config.dataDir);
    const deadLetters = new DeadLetterStore(redis, prefix);
    const deviceState = new DeviceStateStore(redis, prefix);
    const workflow = new Workflow({ config, store, metrics, logger });

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

    let dispatcher: Dispatcher | null = null;
    if (roles.has('worker')) {
      const detectionWorker = startDetectionWorker({ connection: redis, prefix, workflow, logger });
      closers.push(() => detectionWorker.close());
      dispatcher = startDispatcher({ connection: redis, prefix, store, config, mqtt: mqtt!, logger });
      closers.push(() => dispatcher!.close());
      const sla = startSlaWorker({ connection: redis, prefix, store, queues, logger });
      closers.push(() => sla.close());
      const verification = startVerificationWorker({ connection: redis, prefix, workflow, logger });
      closers.push(() => verification.close());
      // Every process's order commits (the API's confirms too) write their timers and notices into
      // the outbox; the worker processes queue them, so an installation needs at least one worker.
      const migrated = await migrateOrderNotices({ redis, prefix, store });
      if (migrated) logger.info(migrated, 'order notices of orders from before the outbox queued once');
      const drainer = new OutboxDrainer({ redis, prefix, queues, consumer: instance, logger });
      drainer.start();
      closers.push(() => drainer.close());
      if (config.evidenceRetentionDays !== undefined) {
        const stopPruning = schedulePruning({ redis, prefix, store, evidence, retentionDays: config.evidenceRetentionDays, logger });
        closers.push(async () => stopPruning());
      }
    }

    let httpUrl: string | null = null;
    if (roles.has('api')) {
      // The consoles' live stream: order events from any process through Redis; device messages
      // straight from the broker, on a connection that also publishes zone edits to the boxes.
      const hub = new LiveHub(logger);
      closers.push(await relayToHub(duplicateRedis(redis), prefix, hub, logger));
      const apiMqtt = await connectMqtt(`${CENTER_CLIENT_IDS.api}${instance}-${process.pid}`, false);
      await watchDevices(apiMqtt, config.rootTopic, (e) => hub.emit(e), logger);
      const desired = new DesiredConfigStore(redis, prefix);
      const deviceConfig = deviceConfigService({
        desired, deviceState, mqtt: apiMqtt, root: config.rootTopic, publishLive, now: Date.now,
      });
      const devices = { list: () => listDevices(registry, deviceState) };
      const exemptPlates = exemptPlateService({ store: new ExemptPlateStore(redis, prefix), devices, deviceConfig, desired, now: Date.now });
      const stopCatchUp = scheduleExemptPlateCatchUp({ redis, prefix, exemptPlates, logger });
      closers.push(async () => stopCatchUp());
      const app = buildApi({
        store,
        actions: workflow,
        evidence,
        deadLetters: { list: (p) => deadLetters.page(p), count: () => deadLetters.count() },
        devices,
        kpis: () => storeKpis(store),
        metrics: () => prometheusLines({ broker: broker?.stats() ?? null, ingest: ingestStats?.() ?? null, metrics: metrics.stats(), consoleStreams: hub.size }),
        health: async () => {
          const checks: Record<string, boolean> = { redis: await redisAnswers(redis) };
          if (mqtt) checks.mqtt = mqtt.connected;
          if (broker) checks.broker = true;
          return { ok: Object.values(checks).every(Boolean), checks };
        },
        maskPlate,
        users: userServices(redis, prefix, config.http, Date.now),
        rateLimitStore: { redis, prefix },
        logger,
        live: hub,
        deviceConfig,
        // Exempt plates reach the boxes through their desired config, as zone edits do.
        exemptPlates,
        // Model announcements go out on the same connection as zone edits.
        models: modelService({ redis, prefix, files: new ModelFiles(config.dataDir), deviceState, mqtt: apiMqtt, root: config.rootTopic, now: Date.now }),
        consoleDir: join(projectRoot, 'console', 'dist'),
        brokerAuth: config.mqtt.httpAuth && {
          secret: config.mqtt.httpAuth.secret,
          auth: new ExternalAuth({
            registry,
            // The embedded broker's client-id claims (keys `<prefix>:mqtt:…`), still honoured after a move to an external broker.
            owners: new SessionOwners(redis, `${prefix}:mqtt:owners`),
            center: { username: account.username, password: account.password || undefined },
            rootTopic: config.rootTopic,
          }),
        },
      }, config);
      const address = await app.listen({ port: config.http.port, host: config.http.host });
      closers.push(() => app.close());
      httpUrl = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    }

    logger.info({ mqttUrl, httpUrl, roles: [...roles], external }, 'centre started');
    return { mqttUrl, httpUrl, broker, ingestStats, close };
  } catch (err) {
    await close();
    throw err;
  }
}

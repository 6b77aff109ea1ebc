/**
 * `streetwatch center`: the command centre in one process, or one role of it. Roles share state
 * only through Redis and the broker, so several processes (`--role ingest,worker` on one box,
 * `--role api` on another) can serve one city.
 */
import { Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DeviceRegistry } from '../broker/device-registry.js';
import { connectRedis } from '../broker/cli.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded-broker.js';
import { createLogger, type Logger } from '../common/logger.js';
import { projectRoot } from '../common/paths.js';
import { DesiredConfigStore } from './api/desired-config-store.js';
import { deviceConfigService } from './api/device-config-service.js';
import { modelService } from './api/model-service.js';
import { watchDevices } from './api/live-devices.js';
import { LiveHub } from './api/live-events.js';
import { withOrderEvents } from './api/live-orders.js';
import { livePublisher, relayToHub } from './api/live-relay.js';
import { buildApi } from './api/server.js';
import type { CenterConfig } from './config.js';
import { startDispatcher, type Dispatcher } from './dispatcher.js';
import { EvidenceStore } from './evidence-store.js';
import { DeadLetterStore } from './ingest/dead-letters.js';
import { DeviceStateStore } from './ingest/device-state.js';
import { Ingest, type IngestStats } from './ingest/ingest.js';
import { watchKnownDevices } from './ingest/known-devices.js';
import { ModelFiles } from './model-files.js';
import { schedulePruning } from './evidence-retention.js';
import { scheduleNoticeCheck } from './order-notices.js';
import { computeKpis } from './kpi.js';
import { createMetricsWriter } from './metrics-writer.js';
import { maskPlate } from './plate-mask.js';
import { createQueues, QUEUE_NAMES, type DetectionJob } from './queues.js';
import { startSlaWorker } from './sla-timers.js';
import { redisAnswers } from './redis-ping.js';
import { RedisWorkOrderStore } from './work-order-store.js';
import { Workflow } from './workflow.js';

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

/** Orders the KPI endpoint looks at; a city's year of orders fits in memory as plain objects. */
const KPI_ORDER_LIMIT = 100_000;

export async function startCenter(opts: CenterOptions): Promise<RunningCenter> {
  const { config } = opts;
  const roles = new Set(opts.roles ?? ROLES);
  const logger = opts.logger ?? createLogger('center', { roles: [...roles] });
  const prefix = config.redisPrefix;

  // Fail at once, with how to fix it, when Redis is not there.
  (await connectRedis(config.redisUrl)).disconnect();
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
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
      broker = await startEmbeddedBroker({ config: { ...config.mqtt, rootTopic: config.rootTopic }, registry, redis: { url: config.redisUrl, prefix }, logger });
      closers.push(() => broker!.close());
    }
    const mqttUrl = config.mqtt.url ?? broker!.url;
    const account = broker ? broker.centre : { username: config.mqtt.username, password: config.mqtt.password ?? '' };

    const queues = createQueues(redis, prefix);
    closers.push(() => queues.close());
    // Every order write, in whichever role, becomes a live event for the consoles (Redis pub/sub).
    const publishLive = livePublisher(redis, prefix, logger);
    const store = withOrderEvents(new RedisWorkOrderStore(redis, prefix), publishLive);
    const metrics = createMetricsWriter(config.influx, { logger });
    closers.push(() => metrics.close());
    const evidence = new EvidenceStore(config.dataDir);
    const deadLetters = new DeadLetterStore(redis, prefix);
    const deviceState = new DeviceStateStore(redis, prefix);
    const workflow = new Workflow({ config, store, queues, metrics, logger });

    // aedes speaks MQTT 3.1.1 only; external brokers get MQTT 5 for shared subscriptions.
    const connectMqtt = async (clientId: string, persistent: boolean): Promise<MqttClient> => {
      const client = await connectAsync(mqttUrl, {
        username: account.username,
        password: account.password,
        protocolVersion: external ? 5 : 4,
        clientId,
        clean: !persistent,
        ...(persistent && external ? { properties: { sessionExpiryInterval: 24 * 3600 } } : {}),
        reconnectPeriod: 1000,
      });
      closers.push(() => client.endAsync());
      return client;
    };
    const instance = opts.instanceId ?? `${hostname()}-${config.http.port}`;
    // Dispatch notices get their own connection: the ingest acknowledges a message only after handling it.
    const mqtt = roles.has('worker') ? await connectMqtt(`streetwatch-center-${instance}-${process.pid}`, false) : null;

    const ingests: Ingest[] = [];
    if (roles.has('ingest')) {
      // Its own Redis connection: the ingest's round trips must not queue behind the workers'.
      const ingestRedis = redis.duplicate();
      closers.push(async () => ingestRedis.quit());
      const { known: knownDevice, close: stopKnownDevices } = await watchKnownDevices(registry, logger);
      closers.push(stopKnownDevices);
      // A connection handles one message at a time (PUBACK only once its job is stored), so an
      // external broker gets several connections in the shared group; aedes has no shared groups.
      const connections = external ? config.mqtt.ingestConnections : 1;
      for (let i = 0; i < connections; i++) {
        // A stable id and a persistent session: messages published while the centre restarts wait at the broker.
        const ingestMqtt = await connectMqtt(`streetwatch-ingest-${instance}${i ? `-${i}` : ''}`, true);
        const ingest = new Ingest({
          mqtt: ingestMqtt, redis: ingestRedis, redisPrefix: prefix, evidence, root: config.rootTopic, queue: queues.detections, deadLetters, metrics,
          knownDevice, shared: external, shareGroup: config.mqtt.shareGroup, maxEvidenceBytes: config.mqtt.maxMessageBytes, logger,
        });
        await ingest.start();
        closers.push(() => ingest.close());
        ingests.push(ingest);
      }
    }
    const ingestStats = ingests.length ? () => sumIngestStats(ingests.map((i) => i.stats())) : null;

    let dispatcher: Dispatcher | null = null;
    if (roles.has('worker')) {
      const workerConnection = redis.duplicate();
      const detections = new Worker<DetectionJob>(QUEUE_NAMES.detections, async (job) => (await workflow.onDetection(job.data))?.id ?? null, {
        connection: workerConnection as unknown as ConnectionOptions, prefix, concurrency: 8,
      });
      detections.on('failed', (job, err) => logger.error({ jobId: job?.id, err: err.message }, 'detection job failed'));
      closers.push(async () => {
        await detections.close();
        workerConnection.disconnect();
      });
      dispatcher = startDispatcher({ connection: redis, prefix, store, config, mqtt: mqtt!, logger });
      closers.push(() => dispatcher!.close());
      const sla = startSlaWorker({ connection: redis, prefix, store, queues, logger });
      closers.push(() => sla.close());
      const stopNoticeCheck = scheduleNoticeCheck({ redis, prefix, store, queues, logger });
      closers.push(async () => stopNoticeCheck());
      if (config.evidenceRetentionDays !== undefined) {
        const stopPruning = schedulePruning({ redis, prefix, store, evidence, retentionDays: config.evidenceRetentionDays, logger });
        closers.push(async () => stopPruning());
      }
    }

    let httpUrl: string | null = null;
    if (roles.has('api')) {
      // The consoles' live stream: order events from any process through Redis; device messages
      // straight from the broker, on a connection that also publishes zone edits to the boxes.
      const hub = new LiveHub();
      closers.push(await relayToHub(redis.duplicate(), prefix, hub, logger));
      const apiMqtt = await connectMqtt(`streetwatch-api-${instance}-${process.pid}`, false);
      await watchDevices(apiMqtt, config.rootTopic, (e) => hub.emit(e), logger);
      const deviceConfig = deviceConfigService({
        desired: new DesiredConfigStore(redis, prefix), deviceState, mqtt: apiMqtt, root: config.rootTopic, publishLive, now: Date.now,
      });
      const app = buildApi({
        store,
        actions: workflow,
        evidence,
        deadLetters: { list: async (p) => ({ items: await deadLetters.list(p), total: await deadLetters.count() }), count: () => deadLetters.count() },
        devices: {
          list: async () => {
            const [known, seen] = await Promise.all([registry.list(), deviceState.devicesSeen()]);
            const lastSeen = new Map(seen.map((s) => [s.deviceId, s.lastSeenAt]));
            return Promise.all(known.map(async (d) => ({
              deviceId: d.deviceId,
              revokedAt: d.revokedAt,
              lastSeenAt: lastSeen.get(d.deviceId) ?? d.lastSeenAt ?? null,
              status: (await deviceState.lastStatus(d.deviceId))?.message ?? null,
              telemetry: (await deviceState.lastTelemetry(d.deviceId))?.message ?? null,
              model: (await deviceState.lastModelReported(d.deviceId))?.message ?? null,
            })));
          },
        },
        kpis: async () => computeKpis((await store.list({}, { offset: 0, limit: KPI_ORDER_LIMIT })).items),
        metrics: () => prometheusLines({ broker, ingest: ingestStats?.() ?? null, metrics: metrics.stats(), consoleStreams: hub.size }),
        health: async () => {
          const checks: Record<string, boolean> = { redis: await redisAnswers(redis) };
          if (mqtt) checks.mqtt = mqtt.connected;
          if (broker) checks.broker = true;
          return { ok: Object.values(checks).every(Boolean), checks };
        },
        maskPlate,
        logger,
        live: hub,
        deviceConfig,
        // Model announcements go out on the same connection as zone edits.
        models: modelService({ redis, prefix, files: new ModelFiles(config.dataDir), deviceState, mqtt: apiMqtt, root: config.rootTopic, now: Date.now }),
        consoleDir: join(projectRoot, 'console', 'dist'),
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

function prometheusLines(s: { broker: EmbeddedBroker | null; ingest: IngestStats | null; metrics: ReturnType<ReturnType<typeof createMetricsWriter>['stats']>; consoleStreams: number }): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, labels = '') => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
  gauge('streetwatch_console_streams', 'Open console live streams (/api/events) on this process', s.consoleStreams);
  if (s.broker) {
    const b = s.broker.stats();
    gauge('streetwatch_broker_clients', 'Connected MQTT clients', b.clients);
    lines.push('# HELP streetwatch_broker_denied_total Refused CONNECT, PUBLISH and SUBSCRIBE', '# TYPE streetwatch_broker_denied_total counter');
    for (const [what, n] of Object.entries(b.denied)) lines.push(`streetwatch_broker_denied_total{what="${what}"} ${n}`);
  }
  if (s.ingest) {
    const i = s.ingest;
    lines.push('# HELP streetwatch_ingest_messages_total Messages by outcome', '# TYPE streetwatch_ingest_messages_total counter');
    for (const [outcome, n] of Object.entries({ received: i.received, valid: i.valid, ignored: i.ignored, jobs: i.jobs, duplicates: i.duplicates })) {
      lines.push(`streetwatch_ingest_messages_total{outcome="${outcome}"} ${n}`);
    }
    lines.push('# HELP streetwatch_dead_letters_total Dead-lettered messages by reason', '# TYPE streetwatch_dead_letters_total counter');
    for (const [code, n] of Object.entries(i.deadLettered)) lines.push(`streetwatch_dead_letters_total{code="${code}"} ${n}`);
  }
  const { buffered, ...totals } = s.metrics;
  gauge('streetwatch_metrics_points_buffered', 'InfluxDB points waiting to be written', buffered);
  lines.push('# HELP streetwatch_metrics_points_total InfluxDB points by outcome', '# TYPE streetwatch_metrics_points_total counter');
  for (const [outcome, n] of Object.entries(totals)) lines.push(`streetwatch_metrics_points_total{outcome="${outcome}"} ${n}`);
  return `${lines.join('\n')}\n`;
}

function sumIngestStats(all: IngestStats[]): IngestStats {
  const total: IngestStats = { received: 0, valid: 0, ignored: 0, deadLettered: {}, jobs: 0, duplicates: 0 };
  for (const s of all) {
    total.received += s.received;
    total.valid += s.valid;
    total.ignored += s.ignored;
    total.jobs += s.jobs;
    total.duplicates += s.duplicates;
    for (const [code, n] of Object.entries(s.deadLettered) as [keyof IngestStats['deadLettered'], number][]) {
      total.deadLettered[code] = (total.deadLettered[code] ?? 0) + n;
    }
  }
  return total;
}

/**
 * The centre's `api` role: the HTTP API, the console and its live stream. Its own module so that
 * processes without the role never load it (center/start.ts imports it only when the role runs).
 */
import type { MqttClient } from 'mqtt';
import { join } from 'node:path';
import type { DeviceRegistry } from '../broker/device-registry.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { ExternalAuth } from '../broker/external-auth.js';
import { SessionOwners } from '../broker/session-owners.js';
import type { Logger } from '../common/logger.js';
import { projectRoot } from '../common/paths.js';
import { duplicateRedis, redisAnswers, type RedisClient } from '../common/redis.js';
import { CENTER_CLIENT_IDS, type LiveEvent } from '../contract/index.js';
import type { EvidenceStore } from '../ticketing/evidence-store.js';
import type { WebPushService } from '../ticketing/web-push.js';
import { reportIntake } from '../ticketing/report-intake.js';
import { storeKpis } from '../ticketing/kpi.js';
import { maskPlate } from '../ticketing/plate-mask.js';
import type { WorkOrderStore } from '../ticketing/store-types.js';
import type { Workflow } from '../ticketing/workflow.js';
import type { CenterConfig } from './config.js';
import { DesiredConfigStore } from './devices/desired-config-store.js';
import { deviceConfigService } from './devices/device-config-service.js';
import { listDevices } from './devices/device-list.js';
import { exemptPlateService, scheduleExemptPlateCatchUp } from './devices/exempt-plate-service.js';
import { ExemptPlateStore } from './devices/exempt-plate-store.js';
import { ModelFiles } from './devices/model-files.js';
import { modelService } from './devices/model-service.js';
import { buildApi } from './http/server.js';
import type { DeadLetterStore } from './ingest/dead-letters.js';
import type { DeviceStateStore } from './ingest/device-state.js';
import type { IngestStats } from './ingest/ingest.js';
import { watchDevices } from './live/live-devices.js';
import { LiveHub } from './live/live-events.js';
import { relayToHub } from './live/live-relay.js';
import type { MetricsWriter } from './metrics/points.js';
import { prometheusLines } from './prometheus.js';
import { userServices } from './users/services.js';

/** What the role shares with the rest of the process (made once in start.ts). */
export interface ApiRoleDeps {
  config: CenterConfig;
  logger: Logger;
  redis: RedisClient;
  prefix: string;
  instance: string;
  registry: DeviceRegistry;
  store: WorkOrderStore;
  workflow: Workflow;
  evidence: EvidenceStore;
  deadLetters: DeadLetterStore;
  deviceState: DeviceStateStore;
  metrics: MetricsWriter;
  publishLive: (event: LiveEvent) => void;
  push: WebPushService;
  broker: EmbeddedBroker | null;
  ingestStats: (() => IngestStats) | null;
  /** The worker's dispatch connection, when the worker role runs here (for the health check). */
  mqtt: MqttClient | null;
  /** The centre's MQTT account. */
  account: { username: string; password: string };
  connectMqtt: (clientId: string, persistent: boolean) => Promise<MqttClient>;
  /** The role's own closers are added here. */
  closers: (() => Promise<unknown>)[];
}

/** Starts the API and returns its http://host:port. */
export async function startApiRole(d: ApiRoleDeps): Promise<string> {
  const { config, logger, redis, prefix, instance, registry, store, workflow, evidence, deadLetters, deviceState, metrics, publishLive, push, broker, ingestStats, mqtt, account, connectMqtt, closers } = d;
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
    reports: reportIntake({ evidence, workflow, maxPhotoBytes: config.reports.maxPhotoBytes }),
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
    push,
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
  return address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
}

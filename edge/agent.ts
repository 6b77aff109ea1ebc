/**
 * `edge run`: the pole agent. Cameras (realtime, via ffmpeg) → one shared detector → per-camera
 * pipelines → MQTT through the on-disk spool; plus status, telemetry, street sensors and remote config.
 */
import { createLogger, type Logger } from '../common/logger.js';
import { edgeClientId, topics, toIso, type CameraState, type StatusMessage, type TelemetryMessage } from '../contract/index.js';
import type { PlateReader } from '../detector/plate/types.js';
import type { Detector } from '../detector/types.js';
import { CameraPipeline, type CameraStats } from './camera-pipeline.js';
import { FrameClock } from './logic/frame-clock.js';
import type { CameraConfig, EdgeConfig } from './config.js';
import { RemoteConfig } from './remote-config.js';
import { loadEdgePlateReader } from './model-updates/load-detector.js';
import { loadZoneModels } from './zone-models.js';
import { loadActiveModels, ModelUpdater } from './model-updates/model-updater.js';
import { MqttLink } from './adapters/mqtt-link.js';
import { EdgePublisher } from './adapters/outbox.js';
import { SensorHub } from './adapters/sensor-hub.js';
import { SensorOnlyWatcher } from './logic/sensor-only-watcher.js';
import { snapshotZoneModels, zoneModelWindow, type ZoneModelStats } from './logic/zone-model-telemetry.js';
import { ProcessCpuMeter } from './adapters/process-cpu.js';
import { Spool } from './adapters/spool.js';
import { SystemSampler } from './adapters/system-stats.js';
import { startHeartbeat } from './adapters/systemd-notify.js';
import { openVideoSource, redactSource, type SourceStats, type SourceStatus, type VideoSource } from './adapters/video-source.js';

export interface RunningAgent {
  logger: Logger;
  publisher: EdgePublisher;
  link: MqttLink;
  pipelines: Map<string, CameraPipeline>;
  /** Each camera's running totals: frames its source produced and dropped (a slow pipeline), frames its pipeline processed. */
  cameraStats(): CameraRunStats[];
  /** Resolves when every camera source has ended (file sources without `loop`). */
  finished: Promise<void>;
  /** Ends open detections, flushes what the broker will take, and closes everything. Idempotent. */
  stop(): Promise<void>;
}

export interface CameraRunStats {
  cameraId: string;
  pipeline: Readonly<CameraStats>;
  /** Undefined until the source has opened (or when it failed to). */
  source?: Readonly<SourceStats>;
  /** The camera's running ffmpeg, for its CPU time. */
  sourcePid?: number;
}

export interface AgentOptions {
  /** Share an already loaded detector (tests, several agents; no model updates); otherwise the config's model is loaded. */
  detector?: Detector;
  /** Share a loaded plate reader, or null for none; otherwise the config's plate models are loaded. */
  plateReader?: PlateReader | null;
  logger?: Logger;
  version?: string;
}

interface CameraRun {
  config: CameraConfig;
  pipeline: CameraPipeline;
  source?: VideoSource;
  state: CameraState;
  message?: string;
  clock: FrameClock;
  /** The pipeline's running totals at the last telemetry. */
  window: { frames: number; inferMs: number; inferences: number; zoneModels: Record<string, ZoneModelStats> };
  /** ffmpeg's CPU between telemetry messages. */
  decodeCpu: ProcessCpuMeter;
  done: Promise<void>;
}

export async function runAgent(config: EdgeConfig, opts: AgentOptions = {}): Promise<RunningAgent> {
  const deviceId = config.device.id;
  const root = config.mqtt.rootTopic;
  const logger = opts.logger ?? createLogger('edge', { deviceId });
  const ownDetector = !opts.detector;
  // Its own model can be replaced over the air; a shared one belongs to the caller.
  const models = opts.detector ? undefined : await loadActiveModels(config, { logger });
  const detector = opts.detector ?? models!.detector;
  const ownPlateReader = opts.plateReader === undefined;
  const plateReader = opts.plateReader === undefined ? await loadEdgePlateReader(config) : (opts.plateReader ?? undefined);
  const zoneModels = await loadZoneModels(config);
  const spool = await Spool.open(config.spool.dir, { maxBytes: config.spool.maxMegabytes * 1024 * 1024, logger });
  const cameras = new Map<string, CameraRun>();
  let shuttingDown = false;

  const status = (state: 'online' | 'offline'): StatusMessage => ({
      v: 1, deviceId, state, at: toIso(Date.now()), version: opts.version,
      ...(state === 'offline' ? { reason: shuttingDown ? 'shutdown' : 'last_will' } : {}),
      cameras: [...cameras.values()].map((c) => {
        const alerts = c.pipeline.alerts.map((a) => ({ kind: a.kind, since: toIso(a.sinceMs) }));
        return { cameraId: c.config.id, state: c.state, ...(c.message ? { message: c.message } : {}), ...(alerts.length ? { alerts } : {}) };
      }),
  });
  const statusPayload = (state: 'online' | 'offline') => Buffer.from(JSON.stringify(status(state)));

  let remote: RemoteConfig | undefined;
  let updater: ModelUpdater | undefined;
  const link = new MqttLink({
    url: config.mqtt.url,
    clientId: edgeClientId(deviceId),
    username: config.mqtt.username || undefined,
    password: config.mqtt.password || undefined,
    keepaliveSeconds: config.mqtt.keepaliveSeconds,
    caFile: config.mqtt.caFile,
    statusTopic: topics.status(root, deviceId),
    online: () => statusPayload('online'),
    offline: () => statusPayload('offline'),
    subscriptions: [topics.configDesired(root, deviceId), ...(models ? [topics.modelDesired(root, deviceId)] : [])],
    onMessage: (topic, payload) => {
      if (topic === topics.configDesired(root, deviceId)) remote?.handle(payload);
      else if (topic === topics.modelDesired(root, deviceId)) updater?.handle(payload);
    },
    spool,
    logger,
  });
  link.on('connected', () => logger.info({ url: config.mqtt.url }, 'broker connected'));
  link.on('disconnected', (err) => logger.warn({ err: err?.message }, 'broker disconnected; spooling'));

  const publisher = new EdgePublisher(
    { send: (m) => void link.publish(m).catch((err: Error) => logger.error({ err: err.message, topic: m.topic }, 'message not spooled')) },
    root,
    deviceId,
  );
  const publishStatus = () => publisher.status(status('online'));
  // Created before anything awaits, so no retained announcement arrives before it.
  updater = models && new ModelUpdater(config, models, { deviceId, report: (msg) => publisher.modelReported(msg), logger });

  const sensors = new SensorHub(config.sensors.bays, deviceId, (msg) => publisher.sensor(msg));
  const sensorHttp = config.sensors.httpPort ? await sensors.listen(config.sensors.httpPort) : undefined;
  const sensorMqtt = config.sensors.mqttTopic
    ? sensors.subscribeMqtt(config.sensors.mqttUrl ?? config.mqtt.url, config.sensors.mqttTopic, logger,
      config.sensors.mqttUrl ? {} : { username: config.mqtt.username || undefined, password: config.mqtt.password || undefined })
    : undefined;
  const sensorOnly = new SensorOnlyWatcher(config.sensors.bays, sensors.state, publisher, logger);

  for (const cam of config.cameras) {
    const pipeline = new CameraPipeline({
      config, camera: cam, detector, plateReader, zoneModels: zoneModels.forCamera(cam.id), publisher, sensorState: sensors.state, logger: logger.child({ cameraId: cam.id }),
      releaseFrame: (f) => cameras.get(cam.id)?.source?.recycle(f),
      onAlerts: () => {
        logger.warn({ cameraId: cam.id, alerts: cameras.get(cam.id)?.pipeline.alerts }, 'camera alerts changed');
        publishStatus();
      },
    });
    const run: CameraRun = {
      config: cam, pipeline, state: cam.enabled ? 'connecting' : 'disabled', clock: new FrameClock(cam.fps),
      window: { frames: 0, inferMs: 0, inferences: 0, zoneModels: {} }, decodeCpu: new ProcessCpuMeter(), done: Promise.resolve(),
    };
    cameras.set(cam.id, run);
  }

  remote = new RemoteConfig(config, {
    deviceId,
    modelClasses: detector.classNames,
    report: (msg) => publisher.configReported(msg),
    apply: (next) => {
      for (const run of cameras.values()) run.pipeline.applyConfig(next);
      config = next;
      restartTelemetry();
    },
    logger,
  });
  // The centre learns the zones this box runs before anyone edits them.
  remote.reportRunning();

  const onSourceStatus = (run: CameraRun, s: SourceStatus) => {
    const lost = s.state === 'stalled' || s.state === 'reconnecting' || (s.state === 'error' && s.fatal);
    run.state = s.state === 'error' && !s.fatal ? run.state : s.state;
    run.message = s.state === 'error' ? s.message : s.state === 'reconnecting' ? s.reason : undefined;
    logger.info({ cameraId: run.config.id, ...s }, 'camera status');
    const last = run.clock.last;
    if (lost && last !== null && run.pipeline.openDetections > 0) {
      void run.pipeline.end(last, 'camera_lost').catch((err: Error) => logger.error({ cameraId: run.config.id, err: err.message }, 'ending detections failed'));
    }
    // After a reconnect the stream's clock is re-anchored to the wall clock.
    if (lost) run.clock.reanchor();
    publishStatus();
  };

  for (const run of cameras.values()) {
    if (!run.config.enabled) continue;
    run.done = (async () => {
      const source = await openVideoSource({
        source: run.config.source, fps: run.config.fps, mode: 'realtime', loop: run.config.loop,
        watchdogSeconds: run.config.watchdogSeconds, decodeThreads: run.config.decodeThreads, reconnect: run.config.reconnect, logger: logger.child({ cameraId: run.config.id }),
      }, (s) => onSourceStatus(run, s)).catch((err: Error) => {
        onSourceStatus(run, { state: 'error', message: err.message, fatal: true });
        return undefined;
      });
      if (!source) return;
      run.source = source;
      for await (const { frame, ptsMs } of source) {
        const tsMs = run.clock.at(ptsMs);
        try {
          await run.pipeline.push(frame, tsMs);
        } catch (err) {
          logger.error({ cameraId: run.config.id, err: (err as Error).message }, 'frame failed');
        }
      }
      const end = run.clock.end;
      if (!shuttingDown && end !== null) await run.pipeline.end(end, 'source_ended');
      logger.info({ cameraId: run.config.id, source: redactSource(run.config.source) }, 'camera source finished');
    })();
  }

  const sampler = new SystemSampler(config.spool.dir);
  let lastTelemetry = Date.now();
  const sendTelemetry = async () => {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - lastTelemetry) / 1000);
    lastTelemetry = now;
    const spoolStats = link.stats().spool;
    const msg: TelemetryMessage = {
      v: 1, deviceId, at: toIso(now),
      cameras: [...cameras.values()].map((c) => {
        // Per-window figures are differences of the pipeline's running totals.
        const { frames, inferences, inferenceMsTotal } = c.pipeline.stats;
        const w = { frames: frames - c.window.frames, inferences: inferences - c.window.inferences, inferMs: inferenceMsTotal - c.window.inferMs };
        const zoneModels = zoneModelWindow(c.pipeline.stats.zoneModels, c.window.zoneModels);
        c.window = { frames, inferences, inferMs: inferenceMsTotal, zoneModels: snapshotZoneModels(c.pipeline.stats.zoneModels) };
        const decodeCores = c.decodeCpu.sample(c.source?.pid);
        const decodeCpuPercent = decodeCores === undefined ? undefined : Math.round(decodeCores * 1000) / 10;
        return {
          cameraId: c.config.id, state: c.state, fps: Math.round((w.frames / seconds) * 10) / 10,
          inferenceMs: w.inferences ? Math.round((w.inferMs / w.inferences) * 10) / 10 : 0,
          ...(decodeCpuPercent === undefined ? {} : { decodeCpuPercent }),
          skippedFrames: c.pipeline.stats.skippedFrames, droppedFrames: c.source?.stats.dropped ?? 0,
          lastFrameAt: c.clock.last === null ? null : toIso(c.clock.last), openDetections: c.pipeline.openDetections,
          ...(zoneModels.length ? { zoneModels } : {}),
        };
      }),
      system: await sampler.sample(),
      spool: { messages: spoolStats.messages, bytes: spoolStats.bytes, dropped: Object.values(spoolStats.dropped).reduce((a, b) => a + b, 0) },
    };
    publisher.telemetry(msg);
  };
  let telemetryTimer: NodeJS.Timeout | undefined;
  function restartTelemetry() {
    clearInterval(telemetryTimer);
    telemetryTimer = setInterval(() => void sendTelemetry().catch((err: Error) => logger.error({ err: err.message }, 'telemetry failed')), config.telemetry.intervalSeconds * 1000);
  }
  restartTelemetry();

  // systemd watchdog / Docker health file: beats only while every camera makes progress (see systemd-notify.ts).
  const heartbeat = startHeartbeat({
    logger,
    cameras: () => [...cameras.values()].map((c) => ({
      cameraId: c.config.id, state: c.state, frames: c.pipeline.stats.frames, watchdogSeconds: c.config.watchdogSeconds, reconnectMaxMs: c.config.reconnect.maxMs,
    })),
  });
  const finished = Promise.all([...cameras.values()].map((c) => c.done)).then(() => undefined);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      await heartbeat.stop();
      clearInterval(telemetryTimer);
      sensorOnly.stop();
      await updater?.close();
      await Promise.all([...cameras.values()].map((c) => c.source?.stop()));
      await finished.catch(() => undefined);
      for (const c of cameras.values()) {
        const last = c.clock.last;
        if (last !== null && c.pipeline.openDetections > 0) {
          await c.pipeline.end(last, c.source?.network ? 'camera_lost' : 'source_ended');
        }
      }
      await sensorHttp?.close();
      await sensorMqtt?.endAsync();
      await link.close(5000);
      await spool.flush();
      if (ownDetector) await detector.close();
      if (ownPlateReader) await plateReader?.close();
      await zoneModels.close();
      logger.info('agent stopped');
    })());

  logger.info({ cameras: config.cameras.map((c) => ({ id: c.id, source: redactSource(c.source), fps: c.fps })) }, 'agent started');
  const cameraStats = () => [...cameras.values()].map((c) => ({ cameraId: c.config.id, pipeline: { ...c.pipeline.stats }, source: c.source?.stats, sourcePid: c.source?.pid }));
  return { logger, publisher, link, pipelines: new Map([...cameras].map(([id, c]) => [id, c.pipeline])), cameraStats, finished, stop };
}


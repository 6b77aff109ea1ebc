/**
 * The centre's ingest: subscribes to everything devices publish, checks each message and routes it
 * to its handler (handlers/index.ts). Every refused message is dead-lettered with its reason and
 * raw payload, counted and logged — nothing a device sends can crash the process.
 *
 * Messages are handled inside mqtt.js's `handleMessage` hook, one at a time per connection, and
 * the QoS 1 PUBACK goes out only after the handler finished: a crash mid-message means the broker
 * redelivers it (persistent session), and a photo published before its detection is stored before
 * that detection is looked at. Detection jobs are idempotent (job id `<eventId>-<seq>`), so
 * redeliveries are harmless. Several instances share the load with MQTT 5 shared subscriptions
 * (`shared: true`): the broker gives each message to one of them.
 */
import type { JobsOptions, ConnectionOptions } from 'bullmq';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectAsync, type DoneCallback, type IPublishPacket, type MqttClient } from 'mqtt';
import { createLogger, type Logger } from '../../common/logger.js';
import {
  centreSubscriptions, DEFAULT_ROOT, MAX_EVIDENCE_BYTES, MAX_JSON_BYTES, parseTopic, RESERVED_DEVICE_IDS,
  type DetectionMessage, type ParsedTopic, type StatusMessage, type TelemetryMessage,
} from '../../contract/index.js';
import { StreetWatchError } from '../../common/errors.js';
import type { EvidenceStore } from '../evidence-store.js';
import { NoopMetricsWriter, type MetricsWriter } from '../metrics-writer.js';
import { detectionJobId, QUEUE_NAMES, type DetectionJob } from '../queues.js';
import { DeadLetterStore, type DeadLetterCode } from './dead-letters.js';
import { DeviceStateStore, type DeviceSeen, type Received } from './device-state.js';
import { EvidenceIndex } from './evidence-index.js';
import { ROUTES, type HandlerContext, type IncomingMessage } from './handlers/index.js';
import { IngestRejection } from './rejection.js';

export interface IngestMqttConnect {
  url: string;
  username?: string;
  password?: string;
  /** A stable id makes a persistent session (messages wait at the broker while the ingest restarts). */
  clientId?: string;
  /** With a clientId: how long the broker keeps the session. Default 1 day. */
  sessionExpirySeconds?: number;
}

export interface IngestOptions {
  /** A connected mqtt.js client (the centre's service account), or where to connect (MQTT 5). */
  mqtt: MqttClient | IngestMqttConnect;
  redis: Redis;
  /** The centre's `redisPrefix`, e.g. `{sw}`: state, dead letters and (unless `queue` is given) the queue. */
  redisPrefix: string;
  evidence: EvidenceStore;
  /** Default `streetwatch/v1`. */
  root?: string;
  /** The `detections` queue; default: one made here on `redis` with `redisPrefix`. */
  queue?: Queue<DetectionJob>;
  deadLetters?: DeadLetterStore;
  /** Default: a no-op writer. Not closed by the ingest (its owner closes it). */
  metrics?: MetricsWriter;
  /** The broker's device registry: false for unknown or revoked devices. Default: all accepted. */
  knownDevice?: (deviceId: string) => boolean | Promise<boolean>;
  /** Subscribe as `$share/<shareGroup>/<filter>` (needs MQTT 5) so several instances split the messages. */
  shared?: boolean;
  /** Default `streetwatch` (the config's `mqtt.shareGroup`). */
  shareGroup?: string;
  /** Limit for JSON messages: at most, and by default, the contract's MAX_JSON_BYTES (256 KiB). */
  maxJsonBytes?: number;
  /** Limit for evidence photos. Default MAX_EVIDENCE_BYTES (4 MiB). */
  maxEvidenceBytes?: number;
  /** How long a detection waits for evidence still on its way. Default 2000 ms. */
  evidenceWaitMs?: number;
  /** A handler taking longer is given up on (dead-lettered `internal_error`). Default 30 s. */
  handlerTimeoutMs?: number;
  /** Merged over the defaults for detection jobs (see DEFAULT_DETECTION_JOB_OPTIONS). */
  jobOptions?: JobsOptions;
  logger?: Logger;
}

export interface IngestStats {
  /** Messages seen on device topics. */
  received: number;
  /** Handled successfully. */
  valid: number;
  /** Empty payloads on retained topics (status, config reported: a retained message cleared). */
  ignored: number;
  /** Dead letters by reason code (a valid detection with a bad evidence ref adds one here too). */
  deadLettered: Partial<Record<DeadLetterCode, number>>;
  /** Detection jobs added. */
  jobs: number;
  /** Detections whose job already existed (redeliveries, duplicates). */
  duplicates: number;
}

/**
 * Kept a day after completion so late duplicates still find the job (the work-order store also
 * de-duplicates by eventId, so one that slips through later is harmless).
 */
export const DEFAULT_DETECTION_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 60 * 60 },
  removeOnFail: { age: 7 * 24 * 60 * 60 },
};

export class IngestError extends StreetWatchError {}

type HandleMessage = MqttClient['handleMessage'];

export class Ingest {
  readonly root: string;
  readonly deadLetters: DeadLetterStore;
  readonly devices: DeviceStateStore;
  private client: MqttClient | undefined;
  private readonly ownsClient: boolean;
  private readonly queue: Queue<DetectionJob>;
  private readonly ownsQueue: boolean;
  private readonly metrics: MetricsWriter;
  private readonly ctx: HandlerContext;
  private readonly log: Logger;
  private readonly filters: string[];
  private readonly counters: Omit<IngestStats, 'deadLettered'> = { received: 0, valid: 0, ignored: 0, jobs: 0, duplicates: 0 };
  private readonly dead: Partial<Record<DeadLetterCode, number>> = {};
  private previousHandle: HandleMessage | undefined;
  private hadOwnHandle = false;
  private current: Promise<void> | undefined;
  private started = false;

  constructor(private readonly opts: IngestOptions) {
    this.root = opts.root ?? DEFAULT_ROOT;
    this.log = opts.logger ?? createLogger('ingest');
    this.ownsClient = !isClient(opts.mqtt);
    this.client = isClient(opts.mqtt) ? opts.mqtt : undefined;
    this.ownsQueue = !opts.queue;
    this.queue = opts.queue ?? new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: opts.redis as unknown as ConnectionOptions, prefix: opts.redisPrefix });
    this.deadLetters = opts.deadLetters ?? new DeadLetterStore(opts.redis, opts.redisPrefix);
    this.devices = new DeviceStateStore(opts.redis, opts.redisPrefix);
    this.metrics = opts.metrics ?? new NoopMetricsWriter();
    const group = opts.shareGroup ?? 'streetwatch';
    this.filters = centreSubscriptions(this.root).map((f) => (opts.shared ? `$share/${group}/${f}` : f));
    this.ctx = {
      evidence: opts.evidence,
      evidenceIndex: new EvidenceIndex(opts.redis, opts.redisPrefix),
      devices: this.devices,
      metrics: this.metrics,
      enqueueDetection: (m) => this.enqueue(m),
      report: (msg, code, reason) => this.deadLetter(msg.topic, msg.payload, msg.route, code, reason),
      evidenceWaitMs: opts.evidenceWaitMs ?? 2000,
      log: this.log,
    };
  }

  /** Connects (if given a URL), hooks into the client and subscribes. */
  async start(): Promise<void> {
    if (this.started) return;
    if (!this.client) this.client = await connect(this.opts.mqtt as IngestMqttConnect);
    const client = this.client;
    if (this.opts.shared && client.options.protocolVersion !== 5) {
      throw new IngestError('INGEST_NEEDS_MQTT5', 'shared subscriptions need an MQTT 5 client (protocolVersion: 5)');
    }
    this.hadOwnHandle = Object.prototype.hasOwnProperty.call(client, 'handleMessage');
    const previous = client.handleMessage;
    this.previousHandle = previous;
    client.handleMessage = (packet: IPublishPacket, done: DoneCallback) => {
      const topic = String(packet.topic);
      if (!topic.startsWith(`${this.root}/`)) return previous.call(client, packet, done);
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.current = this.process(topic, payload, Boolean(packet.retain)).finally(() => {
        this.current = undefined;
        previous.call(client, packet, done); // → PUBACK: only now is the message ours
      });
    };
    this.started = true;
    const granted = await client.subscribeAsync(this.filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length) throw new IngestError('INGEST_SUBSCRIBE_REFUSED', `broker refused ${refused.map((g) => g.topic).join(', ')}`);
    this.log.info({ root: this.root, shared: Boolean(this.opts.shared), filters: this.filters }, 'ingest: subscribed');
  }

  /** Unsubscribes, finishes the message in hand, unhooks; closes what it created. */
  async close(): Promise<void> {
    const client = this.client;
    if (this.started && client) {
      if (client.connected) await client.unsubscribeAsync(this.filters).catch(() => undefined);
      await this.current;
      if (this.hadOwnHandle && this.previousHandle) client.handleMessage = this.previousHandle;
      else delete (client as Partial<Pick<MqttClient, 'handleMessage'>>).handleMessage;
      this.started = false;
    }
    if (this.ownsClient && client) await client.endAsync();
    if (this.ownsQueue) await this.queue.close();
  }

  stats(): IngestStats {
    return { ...this.counters, deadLettered: { ...this.dead } };
  }

  lastStatus(deviceId: string): Promise<Received<StatusMessage> | null> {
    return this.devices.lastStatus(deviceId);
  }

  lastTelemetry(deviceId: string): Promise<Received<TelemetryMessage> | null> {
    return this.devices.lastTelemetry(deviceId);
  }

  devicesSeen(): Promise<DeviceSeen[]> {
    return this.devices.devicesSeen();
  }

  /** One message, start to end; never throws. */
  private async process(topic: string, payload: Buffer, retained: boolean): Promise<void> {
    this.counters.received++;
    const route = parseTopic(this.root, topic);
    try {
      if (!route || RESERVED_DEVICE_IDS.includes(route.deviceId)) throw new IngestRejection('unknown_topic', `not a device topic under ${this.root}`);
      const r = ROUTES[route.kind];
      if (!r) throw new IngestRejection('unknown_topic', `devices do not publish ${route.kind}`);
      // Live subscribers get a retained clear with the retain flag off, so the topic decides.
      if (payload.length === 0 && r.retained) {
        this.counters.ignored++;
        return;
      }
      const limit = r.payload === 'jpeg' ? (this.opts.maxEvidenceBytes ?? MAX_EVIDENCE_BYTES) : Math.min(this.opts.maxJsonBytes ?? MAX_JSON_BYTES, MAX_JSON_BYTES);
      if (payload.length > limit) throw new IngestRejection('oversized', `${route.kind}: ${payload.length} bytes, limit ${limit}`);
      if (this.opts.knownDevice && !(await this.opts.knownDevice(route.deviceId))) {
        throw new IngestRejection('unknown_device', `device ${route.deviceId} is not registered or was revoked`);
      }
      const msg: IncomingMessage = { topic, route, payload, retained, receivedAt: new Date() };
      await withTimeout(r.handler(msg, this.ctx), this.opts.handlerTimeoutMs ?? 30_000);
      await this.devices.markSeen(route.deviceId, msg.receivedAt);
      this.counters.valid++;
    } catch (err) {
      if (err instanceof IngestRejection) {
        await this.deadLetter(topic, payload, route, err.code, err.message);
      } else {
        this.log.error({ err, topic, deviceId: route?.deviceId, cameraId: route?.cameraId }, 'ingest: handler failed');
        await this.deadLetter(topic, payload, route, 'internal_error', (err as Error).message ?? String(err));
      }
    }
  }

  private async deadLetter(topic: string, payload: Buffer, route: ParsedTopic | null, code: DeadLetterCode, reason: string): Promise<void> {
    this.dead[code] = (this.dead[code] ?? 0) + 1;
    const ids = { deviceId: route?.deviceId, cameraId: route?.cameraId };
    this.log.warn({ code, reason, topic, ...ids, bytes: payload.length }, 'ingest: dead letter');
    try {
      await this.deadLetters.add({ topic, payload, code, reason, ...ids });
    } catch (err) {
      this.log.error({ err, code, topic, ...ids }, 'ingest: could not store dead letter');
    }
  }

  private async enqueue(m: DetectionMessage): Promise<'added' | 'duplicate'> {
    const jobId = detectionJobId(m.eventId, m.seq);
    // BullMQ ignores an add with an existing job id anyway; the look-up only tells the two apart for stats.
    if (await this.queue.getJob(jobId)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    await this.queue.add(QUEUE_NAMES.detections, m, { ...DEFAULT_DETECTION_JOB_OPTIONS, ...this.opts.jobOptions, jobId });
    this.counters.jobs++;
    return 'added';
  }
}

const isClient = (m: IngestOptions['mqtt']): m is MqttClient => typeof (m as MqttClient).subscribeAsync === 'function';

async function connect(c: IngestMqttConnect): Promise<MqttClient> {
  return connectAsync(c.url, {
    protocolVersion: 5,
    username: c.username,
    password: c.password,
    ...(c.clientId
      ? { clientId: c.clientId, clean: false, properties: { sessionExpiryInterval: c.sessionExpirySeconds ?? 24 * 60 * 60 } }
      : { clean: true }),
    reconnectPeriod: 1000,
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`handler timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

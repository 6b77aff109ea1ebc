/**
 * The centre's ingest: works off the journal (journal.ts) that every device message is written to
 * before the device gets its acknowledgement, checks each message and routes it to its handler
 * (handlers/index.ts). Every refused message is dead-lettered with its reason and raw payload,
 * counted and logged — nothing a device sends can crash the process.
 *
 * Who fills the journal: the embedded broker itself (the centre wires it), or, given `mqtt`, a
 * subscription on any broker (mqtt-source.ts). Messages of one device are handled in order, those
 * of different devices side by side; a detection whose photos are still on their way steps out of
 * its device's line and is looked at again shortly, so waiting never holds anybody up. A journal
 * entry is deleted only once its message was handled: a crash means it is handled again, and
 * detection jobs are idempotent (job id `<eventId>-<seq>`), photos stored by hash.
 */
import type { JobsOptions, ConnectionOptions } from 'bullmq';
import { Queue } from 'bullmq';
import { duplicateRedis, type RedisClient } from '../../common/redis.js';
import type { IClientOptions, MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, type Logger } from '../../common/logger.js';
import { withTimeout } from '../../common/timeout.js';
import {
  DEFAULT_ROOT, deviceOf, MAX_EVIDENCE_BYTES, MAX_JSON_BYTES, parseTopic, RESERVED_DEVICE_IDS,
  type DetectionMessage, type ParsedTopic, type StatusMessage, type TelemetryMessage,
} from '../../contract/index.js';
import type { EvidenceStore } from '../../ticketing/evidence-store.js';
import { NoopMetricsWriter, type MetricsWriter } from '../metrics/points.js';
import { QUEUE_NAMES, type DetectionJob } from '../../ticketing/queues.js';
import { DeadLetterStore, type DeadLetterCode } from './dead-letters.js';
import { DetectionEnqueuer, type EnqueueOutcome } from './detection-enqueuer.js';
import { DeviceStateStore, type DeviceSeen, type Received } from './device-state.js';
import { EvidenceIndex } from './evidence-index.js';
import { ROUTES, type HandlerContext, type IncomingMessage } from './handlers/index.js';
import { JournalReader, JournalWriter, type JournalEntry, type JournalWriterOptions } from './journal.js';
import { connectJournaled, MqttJournalSource } from './mqtt-source.js';
import { IngestRejection, TryLater } from './rejection.js';


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
  /**
   * Where device messages come from: a connected mqtt.js client (the centre's service account), or
   * where to connect (MQTT 5). Without it the ingest works off a journal that something else fills
   * (the embedded broker).
   */
  mqtt?: MqttClient | IngestMqttConnect;
  redis: RedisClient;
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
  /** A handler taking longer is given up on (tried again, then dead-lettered `internal_error`). Default 30 s. */
  handlerTimeoutMs?: number;
  /**
   * This ingest's name in the journal's consumer group. Stable across restarts, it takes back at
   * once what it held when it died; others' entries are taken over after a minute. Default `<host>-<pid>-<random>`.
   */
  consumer?: string;
  /** How appends to the journal wait for a replica (see JournalWriterOptions). Default: they do not. */
  journal?: JournalWriterOptions;
  /** The journal's appends on a connection of their own (waiting for a replica blocks it). Default `redis`. */
  journalRedis?: RedisClient;
  /** Journal entries in hand at once, all devices together. Default 1000. */
  maxInFlight?: number;
  /** … and their payload bytes (photos are up to 4 MiB each): no more is read past this. Default 64 MiB. */
  maxInFlightBytes?: number;
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

/** A journal entry being handled, and how its handling has gone so far. */
interface InHand {
  entry: JournalEntry;
  route: ParsedTopic | null;
  /** Messages of one device are handled in order: its id (the topic's first level), or '' for topics naming none. */
  lane: string;
  firstTriedAt: number;
  failures: number;
  waiting: boolean;
}

/** `later`: step out of the device's line and come back (photos on their way); `again`: retry in line (a failure of ours). */
type Outcome = 'done' | { later: number } | { again: number };

/** Entries read at once: also what the byte budget may be overshot by (× the largest payload). */
const READ_BATCH = 50;
const READ_BLOCK_MS = 1000;
/** How often a detection waiting for its photos looks again. */
const EVIDENCE_POLL_MS = 100;
/** Detections of one device waiting for photos at once; past that they are handled with what is there. */
const MAX_WAITING_PER_DEVICE = 50;
/** A failure of ours (Redis away, a timeout) is tried again this often, with backoff, before a dead letter. */
const MAX_INTERNAL_ATTEMPTS = 5;
/** Entries another consumer has held this long are taken over: it died. Handlers time out well before. */
const CLAIM_IDLE_MS = 60_000;
const CLAIM_EVERY_MS = 20_000;

export class Ingest {
  readonly root: string;
  readonly deadLetters: DeadLetterStore;
  readonly devices: DeviceStateStore;
  /** Where device messages go before they are acknowledged; the embedded broker appends here too. */
  readonly journal: JournalWriter;
  private client: MqttClient | undefined;
  private readonly ownsClient: boolean;
  private source: MqttJournalSource | undefined;
  private readonly queue: Queue<DetectionJob>;
  private readonly ownsQueue: boolean;
  private readonly enqueuer: DetectionEnqueuer;
  private readonly metrics: MetricsWriter;
  /** enqueueDetection is added per message (process()): it frees the device's line. */
  private readonly ctx: Omit<HandlerContext, 'enqueueDetection'>;
  private readonly log: Logger;
  private readonly counters: Omit<IngestStats, 'deadLettered'> = { received: 0, valid: 0, ignored: 0, jobs: 0, duplicates: 0 };
  private readonly dead: Partial<Record<DeadLetterCode, number>> = {};
  private readonly blocking: RedisClient;
  private readonly reader: JournalReader;
  private readonly inHand = new Map<string, InHand>();
  private inHandBytes = 0;
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly waitingByLane = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private toAck: string[] = [];
  private acking: Promise<void> | undefined;
  private roomWaiters: (() => void)[] = [];
  private reading: Promise<void> | undefined;
  private claimTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private started = false;
  /** process() calls under way. */
  private active = 0;

  constructor(private readonly opts: IngestOptions) {
    this.root = opts.root ?? DEFAULT_ROOT;
    this.log = opts.logger ?? createLogger('ingest');
    this.ownsClient = opts.mqtt !== undefined && !isClient(opts.mqtt);
    this.client = isClient(opts.mqtt) ? opts.mqtt : undefined;
    this.ownsQueue = !opts.queue;
    this.queue = opts.queue ?? new Queue<DetectionJob>(QUEUE_NAMES.detections, { connection: opts.redis as unknown as ConnectionOptions, prefix: opts.redisPrefix });
    this.enqueuer = new DetectionEnqueuer(this.queue, opts.redis, { ...DEFAULT_DETECTION_JOB_OPTIONS, ...opts.jobOptions }, this.log);
    this.deadLetters = opts.deadLetters ?? new DeadLetterStore(opts.redis, opts.redisPrefix);
    this.devices = new DeviceStateStore(opts.redis, opts.redisPrefix);
    this.metrics = opts.metrics ?? new NoopMetricsWriter();
    this.journal = new JournalWriter(opts.journalRedis ?? opts.redis, opts.redisPrefix, opts.journal);
    this.blocking = duplicateRedis(opts.redis, { enableAutoPipelining: false });
    this.blocking.on('error', () => undefined); // the shared connection reports Redis trouble
    this.reader = new JournalReader(this.blocking, opts.redis, opts.redisPrefix, opts.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
    this.ctx = {
      evidence: opts.evidence,
      evidenceIndex: new EvidenceIndex(opts.redis, opts.redisPrefix),
      devices: this.devices,
      metrics: this.metrics,
      report: (msg, code, reason) => this.deadLetter(msg.id, msg.topic, msg.payload, msg.route, code, reason),
      log: this.log,
    };
  }

  /** Starts working off the journal; given `mqtt`, connects (if given a URL) and subscribes. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.reader.init();
    if (this.opts.mqtt) {
      const source = { journal: this.journal, root: this.root, shared: this.opts.shared, shareGroup: this.opts.shareGroup, log: this.log };
      if (this.client) {
        this.source = new MqttJournalSource({ ...source, client: this.client });
        await this.source.start();
      } else {
        const c = this.opts.mqtt as IngestMqttConnect;
        ({ client: this.client, source: this.source } = await connectJournaled(c.url, clientOptions(c), source));
      }
    }
    this.started = true;
    this.reading = this.readLoop();
    this.claimTimer = setInterval(() => void this.claimIdle(), CLAIM_EVERY_MS);
    this.claimTimer.unref();
  }

  /**
   * Stops taking messages, finishes those in hand (a detection waiting for photos at most its
   * wait), and closes what it created. Whatever is not finished stays in the journal for the next start.
   */
  async close(): Promise<void> {
    if (this.started) {
      this.started = false;
      await this.source?.close();
      this.stopping = true;
      clearInterval(this.claimTimer);
      this.blocking.disconnect(); // ends a blocking read at once
      for (const wake of this.roomWaiters.splice(0)) wake();
      await this.reading;
      for (const t of this.timers) clearTimeout(t);
      // Handlers under way finish (bounded: Redis may be away); nothing new starts.
      const until = Date.now() + 5000;
      while (this.active > 0 && Date.now() < until) await sleep(20);
      this.enqueuer.close();
      await withTimeout(this.flushAcks(), 5000, 'marking journal entries done').catch(() => undefined);
    } else {
      this.blocking.disconnect();
    }
    if (this.ownsClient && this.client) await this.client.endAsync();
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

  private async readLoop(): Promise<void> {
    while (!this.stopping) {
      const room = (this.opts.maxInFlight ?? 1000) - this.inHand.size;
      if (room <= 0 || this.inHandBytes >= (this.opts.maxInFlightBytes ?? 64 * 1024 * 1024)) {
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
        continue;
      }
      try {
        for (const entry of await this.reader.read(Math.min(READ_BATCH, room), READ_BLOCK_MS)) this.take(entry);
      } catch (err) {
        if (this.stopping) break;
        this.log.warn({ err: (err as Error).message }, 'ingest: cannot read the journal; trying again');
        // A Redis that came back without its data (no AOF, a flush) has lost the group too.
        if (String((err as Error).message).includes('NOGROUP')) await this.reader.init().catch(() => undefined);
        await sleep(500);
      }
    }
  }

  /**
   * Entries a dead consumer held: ours now. Our own entries in hand are touched first, so that a
   * busy ingest (a long line, retries) is never taken for a dead one by another.
   */
  private async claimIdle(): Promise<void> {
    try {
      await this.reader.touch([...this.inHand.keys()]);
      const room = (this.opts.maxInFlight ?? 1000) - this.inHand.size;
      if (room <= 0 || this.inHandBytes >= (this.opts.maxInFlightBytes ?? 64 * 1024 * 1024)) return;
      const claimed = await this.reader.claimIdle(CLAIM_IDLE_MS, Math.min(READ_BATCH, room));
      if (claimed.length) this.log.warn({ entries: claimed.length }, 'ingest: took over journal entries another ingest held');
      for (const entry of claimed) this.take(entry);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'ingest: could not claim idle journal entries');
    }
  }

  private take(entry: JournalEntry): void {
    if (this.inHand.has(entry.id)) return;
    const route = parseTopic(this.root, entry.topic);
    const h: InHand = { entry, route, lane: deviceOf(this.root, entry.topic) ?? '', firstTriedAt: 0, failures: 0, waiting: false };
    this.inHand.set(entry.id, h);
    this.inHandBytes += entry.payload.length;
    const next = (this.lanes.get(h.lane) ?? Promise.resolve()).then(() => this.attempt(h));
    this.lanes.set(h.lane, next);
    void next.finally(() => {
      if (this.lanes.get(h.lane) === next) this.lanes.delete(h.lane);
    });
  }

  /**
   * Handles the entry; resolves once its device's line may go on. A failure of ours is retried in
   * its device's line (order matters: a status must not overtake another); a detection waiting for
   * photos steps out of it, and the line goes on. A detection frees the line as soon as its job is
   * queued for Redis (in line, so jobs are added in the device's order) rather than once Redis
   * stored it: a device's messages then need not wait a Redis round trip each. Its journal entry is
   * still deleted only once the job is stored; a batch that fails to be stored is tried again by the
   * enqueuer ahead of everything queued since, so the device's jobs still reach BullMQ in order.
   * Once closing, nothing more is started: what is left stays in the journal for the next start.
   */
  private attempt(h: InHand): Promise<void> {
    return new Promise((lineFree) => void this.work(h, lineFree));
  }

  private async work(h: InHand, lineFree: () => void): Promise<void> {
    for (;;) {
      if (this.stopping) return lineFree();
      this.active++;
      const outcome = await this.process(h, lineFree).finally(() => this.active--);
      if (outcome === 'done') {
        this.setWaiting(h, false);
        this.finish(h);
        return lineFree();
      }
      if ('again' in outcome) {
        await sleep(outcome.again);
        continue;
      }
      this.setWaiting(h, true);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.work(h, () => undefined);
      }, outcome.later);
      this.timers.add(timer);
      return lineFree();
    }
  }

  private setWaiting(h: InHand, waiting: boolean): void {
    if (h.waiting === waiting) return;
    h.waiting = waiting;
    const n = (this.waitingByLane.get(h.lane) ?? 0) + (waiting ? 1 : -1);
    if (n > 0) this.waitingByLane.set(h.lane, n);
    else this.waitingByLane.delete(h.lane);
  }

  /** One try at one message; never throws. `lineFree` is called once a detection's job is queued. */
  private async process(h: InHand, lineFree: () => void): Promise<Outcome> {
    const { entry, route } = h;
    const { topic, payload, retained } = entry;
    const now = Date.now();
    if (!h.firstTriedAt) {
      h.firstTriedAt = now;
      this.counters.received++;
    }
    try {
      if (!route || RESERVED_DEVICE_IDS.includes(route.deviceId)) throw new IngestRejection('unknown_topic', `not a device topic under ${this.root}`);
      const r = ROUTES[route.kind];
      if (!r) throw new IngestRejection('unknown_topic', `devices do not publish ${route.kind}`);
      // Live subscribers get a retained clear with the retain flag off, so the topic decides.
      if (payload.length === 0 && r.retained) {
        this.counters.ignored++;
        return 'done';
      }
      const limit = r.payload === 'jpeg' ? (this.opts.maxEvidenceBytes ?? MAX_EVIDENCE_BYTES) : Math.min(this.opts.maxJsonBytes ?? MAX_JSON_BYTES, MAX_JSON_BYTES);
      if (payload.length > limit) throw new IngestRejection('oversized', `${route.kind}: ${payload.length} bytes, limit ${limit}`);
      if (this.opts.knownDevice && !(await this.opts.knownDevice(route.deviceId))) {
        throw new IngestRejection('unknown_device', `device ${route.deviceId} is not registered or was revoked`);
      }
      const lastChance = now - h.firstTriedAt >= (this.opts.evidenceWaitMs ?? 2000) || (this.waitingByLane.get(h.lane) ?? 0) >= MAX_WAITING_PER_DEVICE;
      const msg: IncomingMessage = { id: entry.id, topic, route, payload, retained, receivedAt: new Date(entry.receivedAt), lastChance };
      const ctx: HandlerContext = {
        ...this.ctx,
        enqueueDetection: (m) => {
          const added = this.enqueue(m); // queued for the next batch before this returns
          lineFree();
          return added;
        },
      };
      await withTimeout(r.handler(msg, ctx), this.opts.handlerTimeoutMs ?? 30_000, 'handler');
      await this.devices.markSeen(route.deviceId, msg.receivedAt);
      this.counters.valid++;
      return 'done';
    } catch (err) {
      if (err instanceof TryLater) return { later: EVIDENCE_POLL_MS };
      const ids = { deviceId: h.lane || undefined, cameraId: route?.cameraId };
      try {
        if (err instanceof IngestRejection) {
          await this.deadLetter(entry.id, topic, payload, ids, err.code, err.message);
          return 'done';
        }
        // Ours, not the device's (Redis away, a bug): tried again before it becomes a dead letter.
        if (++h.failures < MAX_INTERNAL_ATTEMPTS) {
          this.log.warn({ err: (err as Error).message, topic, ...ids, attempt: h.failures }, 'ingest: handler failed; trying again');
          return { again: 500 * 2 ** h.failures };
        }
        this.log.error({ err, topic, ...ids }, 'ingest: handler failed');
        await this.deadLetter(entry.id, topic, payload, ids, 'internal_error', String((err as Error | null)?.message ?? err));
        return 'done';
      } catch (storeErr) {
        // Not even the dead letter could be stored: the message stays in the journal and is tried again.
        this.log.error({ err: (storeErr as Error).message, topic, ...ids }, 'ingest: could not store a dead letter; trying again');
        return { again: 1000 };
      }
    }
  }

  /** Handled: its journal entry is marked done, with whatever else finished meanwhile (one round trip). */
  private finish(h: InHand): void {
    this.toAck.push(h.entry.id);
    this.acking ??= (async () => {
      while (this.toAck.length) {
        try {
          await this.flushAcks();
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'ingest: could not mark journal entries done; trying again');
          if (this.stopping) break;
          await sleep(500);
        }
      }
    })().finally(() => (this.acking = undefined));
  }

  private async flushAcks(): Promise<void> {
    const ids = this.toAck;
    this.toAck = [];
    try {
      await this.reader.done(ids);
    } catch (err) {
      this.toAck.push(...ids);
      throw err;
    }
    for (const id of ids) {
      this.inHandBytes -= this.inHand.get(id)?.entry.payload.length ?? 0;
      this.inHand.delete(id);
    }
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * One per journal entry, however often the entry is handled (a retry, a restart, a takeover).
   * Throws when Redis would not take it: the caller keeps the message to try again.
   */
  private async deadLetter(entryId: string, topic: string, payload: Buffer, ids: { deviceId?: string; cameraId?: string }, code: DeadLetterCode, reason: string): Promise<void> {
    if (!(await this.deadLetters.add({ topic, payload, code, reason, ...ids }, entryId))) return;
    this.log.warn({ code, reason: reason.slice(0, 500), topic: topic.slice(0, 200), ...ids, bytes: payload.length }, 'ingest: dead letter');
    this.dead[code] = (this.dead[code] ?? 0) + 1;
  }

  private async enqueue(m: DetectionMessage): Promise<EnqueueOutcome> {
    const outcome = await this.enqueuer.enqueue(m);
    if (outcome === 'duplicate') this.counters.duplicates++;
    else this.counters.jobs++;
    return outcome;
  }
}

const isClient = (m: IngestOptions['mqtt']): m is MqttClient => typeof (m as MqttClient | undefined)?.subscribeAsync === 'function';

function clientOptions(c: IngestMqttConnect): IClientOptions {
  return {
    protocolVersion: 5,
    username: c.username,
    password: c.password,
    ...(c.clientId
      ? { clientId: c.clientId, clean: false, properties: { sessionExpiryInterval: c.sessionExpirySeconds ?? 24 * 60 * 60 } }
      : { clean: true }),
    reconnectPeriod: 1000,
  };
}

/**
 * The edge agent's broker connection. Every outgoing message is appended to the on-disk spool first
 * and removed only after the broker acknowledged it (PUBACK for QoS 1, socket write for QoS 0), so
 * nothing is lost while offline or across a restart, and delivery order is the spool's FIFO order.
 *
 * Delivery is at-least-once: a message whose PUBACK was lost is sent again (mqtt.js replays its
 * in-flight QoS 1 messages after a reconnect; after a process restart the spool does), so consumers
 * must be idempotent (detections carry ids). Status is announced retained on `statusTopic`: the
 * online payload on every connect, the offline payload as Last Will and on `close()`.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { StreetWatchError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { settlesInTime } from '../../common/timeout.js';
import { DELIVERY, EDGE_CLEAN_SESSION } from '../../contract/index.js';
import type { Spool, SpoolMessage, SpoolStats } from './spool.js';

/** A payload, or a builder called each time it is sent (so timestamps are fresh). */
export type PayloadSource = Buffer | string | (() => Buffer | string);

export interface MqttLinkOptions {
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveSeconds?: number;
  /** PEM file of the CA that signed the broker certificate (TLS URLs). */
  caFile?: string;
  /** `<root>/<device>/status`: retained online on connect, offline as Last Will and on close. */
  statusTopic: string;
  online: PayloadSource;
  offline: PayloadSource;
  /** Topic filters subscribed (QoS 1) on every connect, e.g. `<root>/<device>/config/desired`. */
  subscriptions?: string[];
  onMessage?: (topic: string, payload: Buffer, retained: boolean) => void;
  spool: Spool;
  /** Unacknowledged messages on the wire at once; small so a reconnect replays little. Default 8. */
  inflight?: number;
  /** Reconnect delay doubles from initialMs up to maxMs (±20 % jitter), reset on connect. */
  reconnect?: { initialMs?: number; maxMs?: number };
  connectTimeoutMs?: number;
  logger?: Logger;
}

export interface LinkStats {
  connected: boolean;
  /** Messages sent and not yet acknowledged. */
  inflight: number;
  /** Messages acknowledged by the broker since start. */
  published: number;
  /** Successful connects since start (1 = never lost the connection). */
  connects: number;
  spool: SpoolStats;
}

export type LinkEvents = {
  connected: [];
  disconnected: [reason: Error | undefined];
};

export class MqttLinkError extends StreetWatchError {}

export class MqttLink extends EventEmitter<LinkEvents> {
  private readonly client: MqttClient;
  private readonly spool: Spool;
  private readonly window: number;
  private readonly inflight = new Set<number>();
  private readonly backoff: { initialMs: number; maxMs: number; currentMs: number };
  private readonly appending = new Set<Promise<boolean>>();
  private pumping = false;
  private pumpAgain = false;
  private published = 0;
  private connects = 0;
  private wasConnected = false;
  private lastError: Error | undefined;
  /** Set by close(): no new publishes accepted. */
  private closing: Promise<void> | undefined;
  /** Set once the offline status is out: the pump stops sending. */
  private ended = false;

  constructor(private readonly opts: MqttLinkOptions) {
    super();
    this.spool = opts.spool;
    this.window = Math.max(1, opts.inflight ?? 8);
    const initialMs = opts.reconnect?.initialMs ?? 1000;
    this.backoff = { initialMs, maxMs: Math.max(initialMs, opts.reconnect?.maxMs ?? 30_000), currentMs: initialMs };
    const options: IClientOptions = {
      clientId: opts.clientId,
      username: opts.username,
      password: opts.password,
      keepalive: opts.keepaliveSeconds ?? 30,
      ca: opts.caFile ? readFileSync(opts.caFile) : undefined,
      protocolVersion: 4,
      clean: EDGE_CLEAN_SESSION,
      // We subscribe ourselves on every connect, which also covers a failed first subscribe.
      resubscribe: false,
      reconnectPeriod: initialMs,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      will: this.will(),
    };
    this.client = connect(opts.url, options);
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => this.onClose());
    this.client.on('reconnect', () => this.onReconnect());
    this.client.on('error', (err) => {
      this.lastError = err;
      opts.logger?.warn({ err: err.message, url: opts.url }, 'mqtt error');
    });
    this.client.on('message', (topic, payload, packet) => {
      try {
        opts.onMessage?.(topic, payload, packet.retain);
      } catch (err) {
        opts.logger?.error({ err, topic }, 'mqtt message handler failed');
      }
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Queues a message: on disk first, then sent when the broker is reachable, in order.
   * Resolves false if the spool dropped it (full, droppable kind); rejects with SpoolFullError for a
   * detection/evidence that does not fit, or MqttLinkError for a bad topic or a closed link.
   */
  async publish(msg: SpoolMessage): Promise<boolean> {
    if (this.closing) throw new MqttLinkError('MQTT_CLOSED', `link closed: cannot publish to ${msg.topic}`);
    // A topic the broker would reject must not enter the spool, or it would block the queue forever.
    if (msg.topic.length === 0 || /[+#\u0000]/.test(msg.topic)) {
      throw new MqttLinkError('MQTT_BAD_TOPIC', `invalid publish topic "${msg.topic}"`);
    }
    const appending = this.spool.append(msg);
    this.appending.add(appending);
    try {
      const stored = await appending;
      if (stored) this.kick();
      return stored;
    } finally {
      this.appending.delete(appending);
    }
  }

  stats(): LinkStats {
    return { connected: this.client.connected, inflight: this.inflight.size, published: this.published, connects: this.connects, spool: this.spool.stats() };
  }

  /** Resolves true once the spool is empty and nothing is in flight, false at the timeout. */
  async whenDrained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.inflight.size === 0 && this.spool.stats().messages === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(25, deadline - Date.now()));
    }
  }

  /**
   * Sends what can be sent within `timeoutMs` (if connected), publishes the offline status and
   * disconnects. Whatever was not acknowledged stays in the spool for the next start.
   */
  close(timeoutMs = 5000): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    // Messages published just before close() are still being written to the spool: wait for them.
    await Promise.allSettled([...this.appending]);
    if (this.client.connected) await this.whenDrained(left());
    if (this.client.connected) {
      const sent = await settlesInTime(this.client.publishAsync(this.opts.statusTopic, payloadOf(this.opts.offline), DELIVERY.status), left());
      if (!sent) this.opts.logger?.warn('mqtt: offline status not acknowledged before close timeout');
    }
    this.ended = true;
    const pending = this.stats();
    if (pending.spool.messages > 0) this.opts.logger?.info({ pending: pending.spool.messages }, 'mqtt: closing with messages left in the spool');
    // Polite DISCONNECT when connected (the broker then discards the Will: we sent offline ourselves).
    const force = !this.client.connected;
    const ended = await settlesInTime(this.client.endAsync(force), Math.max(left(), 500));
    if (!ended) await this.client.endAsync(true);
    await this.spool.flush();
  }

  private onConnect(): void {
    this.connects++;
    this.wasConnected = true;
    this.lastError = undefined;
    this.backoff.currentMs = this.backoff.initialMs;
    this.client.options.reconnectPeriod = this.backoff.initialMs;
    const log = this.opts.logger;
    log?.info({ url: this.opts.url, clientId: this.opts.clientId }, 'mqtt connected');
    // Online status goes out first and directly: it describes now, not a queued past.
    this.client.publish(this.opts.statusTopic, payloadOf(this.opts.online), DELIVERY.status, (err) => {
      if (err) log?.warn({ err: err.message }, 'mqtt: online status not sent');
    });
    const subs = this.opts.subscriptions ?? [];
    if (subs.length > 0) {
      this.client.subscribe(subs, { qos: 1 }, (err, granted) => {
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (err || refused.length > 0) log?.error({ err: err?.message, refused }, 'mqtt subscribe failed');
      });
    }
    this.emit('connected');
    this.kick();
  }

  private onClose(): void {
    if (!this.wasConnected) return; // failed reconnect attempts are not news
    this.wasConnected = false;
    this.opts.logger?.warn({ reason: this.lastError?.message }, 'mqtt disconnected');
    this.emit('disconnected', this.lastError);
  }

  private onReconnect(): void {
    // mqtt.js arms its next retry from options.reconnectPeriod when this attempt fails.
    this.backoff.currentMs = Math.min(this.backoff.maxMs, this.backoff.currentMs * 2);
    this.client.options.reconnectPeriod = Math.round(this.backoff.currentMs * (0.8 + Math.random() * 0.4));
    this.client.options.will = this.will(); // fresh offline payload for this session
  }

  private will(): NonNullable<IClientOptions['will']> {
    return { topic: this.opts.statusTopic, payload: payloadOf(this.opts.offline), ...DELIVERY.status };
  }

  /** Runs the drain loop, or asks the running one to look again. */
  private kick(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((err: unknown) => this.opts.logger?.error({ err }, 'mqtt: spool drain failed'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) this.kick();
      });
  }

  private async pump(): Promise<void> {
    do {
      this.pumpAgain = false;
      // Live Map iterator: acked/dropped entries vanish, new appends show up at the end.
      for (const entry of this.spool.pending()) {
        if (!this.canSend()) return;
        if (this.inflight.has(entry.seq)) continue;
        const msg = await this.spool.read(entry.seq);
        if (!msg) continue; // dropped or corrupt meanwhile
        if (!this.canSend()) return;
        this.send(entry.seq, msg);
      }
    } while (this.pumpAgain);
  }

  private canSend(): boolean {
    return !this.ended && this.client.connected && this.inflight.size < this.window;
  }

  private send(seq: number, msg: SpoolMessage): void {
    this.inflight.add(seq);
    // mqtt.js writes in call order on one connection and, after a drop, replays its unacknowledged
    // QoS 1 packets before anything new — so the callback may come only after a reconnect.
    this.client.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }, (err) => {
      this.inflight.delete(seq);
      if (err) {
        // Still in the spool: the next pump (e.g. after reconnect) sends it again.
        this.opts.logger?.warn({ err: err.message, seq, topic: msg.topic }, 'mqtt publish not acknowledged');
      } else {
        this.published++;
        this.spool.ack(seq).catch((e: unknown) => this.opts.logger?.error({ err: e, seq }, 'spool ack failed'));
      }
      this.kick();
    });
  }
}

export function payloadOf(src: PayloadSource): Buffer {
  const v = typeof src === 'function' ? src() : src;
  return Buffer.isBuffer(v) ? v : Buffer.from(v);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

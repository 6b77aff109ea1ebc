/**
 * Time series for dashboards (edge health, detections, work-order timings), written with the
 * InfluxDB v2 write API. Works with InfluxDB and with anything that speaks its write endpoint
 * (VictoriaMetrics stores `<measurement>_<field>` series, tags as labels).
 *
 * Metrics must never hold up the ingest: `write()` is synchronous and never throws. Points wait in
 * one bounded buffer (`maxBufferedPoints`, counting the batch on the wire); beyond it the oldest are
 * dropped and counted. One batch is in flight at a time and a failed batch goes back to the head of
 * the buffer and is retried with exponential backoff — so an InfluxDB outage costs a bounded amount
 * of memory and at worst the oldest points, never a growing pile of requests. The client's own
 * retry buffer is not used because it cannot bound requests in flight nor report every loss.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpError, InfluxDB, type Point, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from '../../common/logger.js';
import type { CenterConfig } from '../config.js';
import { NoopMetricsWriter, type MetricsWriter, type MetricsWriterStats } from './points.js';

export type InfluxConfig = NonNullable<CenterConfig['influx']>;

export interface InfluxWriterOptions {
  url: string;
  org: string;
  bucket: string;
  token?: string;
  /** Default 50,000. */
  maxBufferedPoints?: number;
  /** How long points may wait for a fuller batch. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Points per request. Default 1000. */
  batchSize?: number;
  /** Per request. Default 5000 ms. */
  timeoutMs?: number;
  /** Backoff after a failed request doubles from minDelayMs to maxDelayMs (±20 % jitter). */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
  /** How long close() keeps trying to send what is left. Default 5000 ms. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

/** A no-op writer when no InfluxDB is configured, an InfluxDB writer otherwise. */
export function createMetricsWriter(influx: InfluxConfig | undefined, opts: { logger?: Logger } = {}): MetricsWriter {
  return influx ? new InfluxMetricsWriter({ ...influx, logger: opts.logger }) : new NoopMetricsWriter();
}

export class InfluxMetricsWriter implements MetricsWriter {
  private readonly api: WriteApi;
  private readonly agent: HttpAgent;
  private readonly ring: LineRing;
  private readonly max: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly closeTimeoutMs: number;
  private readonly log: Logger | undefined;
  private written = 0;
  private dropped = 0;
  private failures = 0;
  /** Points of the batch on the wire: they count against maxBufferedPoints. */
  private inflight = 0;
  private chain: Promise<void> = Promise.resolve();
  private draining = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** No send before this time (backoff after a failure). */
  private retryAt = 0;
  private consecutiveFailures = 0;
  private closed = false;

  constructor(opts: InfluxWriterOptions) {
    this.max = opts.maxBufferedPoints ?? 50_000;
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 1000, this.max));
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.minDelayMs = opts.retry?.minDelayMs ?? 1000;
    this.maxDelayMs = opts.retry?.maxDelayMs ?? 30_000;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.log = opts.logger;
    this.ring = new LineRing(this.max);
    // Our own agent, because the client does not abort a timed-out request: its socket would stay
    // open for good against a hanging server. After a failure we destroy the agent's sockets.
    this.agent = opts.url.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    const influx = new InfluxDB({ url: opts.url, token: opts.token || undefined, timeout: opts.timeoutMs ?? 5000, transportOptions: { agent: this.agent } });
    this.api = influx.getWriteApi(opts.org, opts.bucket, 'ms', {
      // The WriteApi only serialises and sends here: this class batches and retries (see top).
      batchSize: this.batchSize + 1, // never auto-flushes behind our back
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      // Returning the rejection makes flush() reject with it instead of the client logging it.
      writeFailed: (error: Error) => Promise.reject(error),
    });
  }

  write(points: Point | readonly Point[]): void {
    const list = Array.isArray(points) ? points : [points as Point];
    if (this.closed) {
      this.dropped += list.length;
      return;
    }
    for (const p of list) {
      let line: string | undefined;
      try {
        line = p.toLineProtocol(this.api);
      } catch (err) {
        this.log?.warn({ err: (err as Error).message }, 'metrics: point not serialisable');
      }
      if (!line) {
        this.dropped++; // no fields, or not serialisable
        continue;
      }
      if (this.ring.length + this.inflight >= this.max) {
        this.ring.shift();
        this.dropped++;
      }
      this.ring.push(line);
    }
    this.kick(this.ring.length >= this.batchSize ? 0 : this.flushIntervalMs);
  }

  stats(): MetricsWriterStats {
    return { written: this.written, buffered: this.ring.length + this.inflight, dropped: this.dropped, failures: this.failures };
  }

  async flush(): Promise<void> {
    this.clearTimer();
    await this.drain(Number.POSITIVE_INFINITY);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.retryAt = 0; // one last honest try, whatever the backoff
    await this.drain(Date.now() + this.closeTimeoutMs);
    if (this.ring.length > 0) {
      this.log?.warn({ points: this.ring.length }, 'metrics: points not written before close; dropped');
      this.dropped += this.ring.length;
      this.ring.clear();
    }
    await this.api.close().catch(() => undefined);
    this.agent.destroy();
  }

  /** Schedules a drain in `delayMs` (not before the backoff ends); an earlier schedule stands. */
  private kick(delayMs: number): void {
    if (this.closed || this.draining > 0 || this.ring.length === 0) return;
    const at = Math.max(Date.now() + delayMs, this.retryAt);
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain(Number.POSITIVE_INFINITY);
    }, at - Date.now());
    this.timer.unref(); // buffered metrics never keep the process alive
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Drains are chained, so only one batch is ever in flight. */
  private drain(deadline: number): Promise<void> {
    this.draining++;
    const run = this.chain.then(() => this.drainNow(deadline)).finally(() => {
      this.draining--;
      this.kick(this.flushIntervalMs);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Sends batch after batch until empty, a failure (then backoff), or the deadline. */
  private async drainNow(deadline: number): Promise<void> {
    while (this.ring.length > 0 && Date.now() < deadline && Date.now() >= this.retryAt) {
      if (!(await this.sendOne())) return;
    }
  }

  private async sendOne(): Promise<boolean> {
    const batch = this.ring.shiftMany(this.batchSize);
    this.inflight = batch.length;
    try {
      this.api.writeRecords(batch);
      await this.api.flush();
      this.written += batch.length;
      this.consecutiveFailures = 0;
      this.retryAt = 0;
      return true;
    } catch (err) {
      this.agent.destroy(); // the one request in flight was ours: nothing else is cut
      this.failures++;
      this.consecutiveFailures++;
      const status = err instanceof HttpError ? err.statusCode : undefined;
      if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
        // Refused for what it is (bad line, bad token, no bucket): retrying cannot help.
        this.dropped += batch.length;
        this.log?.error({ status, err: (err as Error).message, points: batch.length }, 'metrics: InfluxDB refused a batch; dropped');
      } else {
        this.ring.unshiftMany(batch); // fits: the ring kept room for the batch in flight
        this.log?.warn({ err: (err as Error).message, buffered: this.ring.length, failures: this.failures }, 'metrics: write failed; will retry');
      }
      const delay = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (this.consecutiveFailures - 1));
      this.retryAt = Date.now() + delay * (0.8 + Math.random() * 0.4);
      return false;
    } finally {
      this.inflight = 0;
    }
  }
}

/** Fixed-capacity FIFO of line-protocol strings; O(1) at both ends, no array shifting. */
class LineRing {
  private readonly buf: (string | undefined)[];
  private head = 0;
  length = 0;

  constructor(private readonly capacity: number) {
    this.buf = new Array<string | undefined>(capacity);
  }

  push(line: string): void {
    if (this.length === this.capacity) this.shift();
    this.buf[(this.head + this.length) % this.capacity] = line;
    this.length++;
  }

  shift(): string | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return v;
  }

  shiftMany(n: number): string[] {
    const out: string[] = [];
    while (out.length < n && this.length > 0) out.push(this.shift() as string);
    return out;
  }

  /** Puts lines back at the head, in order; the oldest are lost if they do not fit. */
  unshiftMany(lines: readonly string[]): void {
    for (let i = lines.length - 1; i >= 0 && this.length < this.capacity; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.buf[this.head] = lines[i];
      this.length++;
    }
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.length = 0;
  }
}

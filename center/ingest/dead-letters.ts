/**
 * Messages the ingest refused, kept in Redis for an operator to look at: a capped list (newest
 * first) plus all-time counters per reason code. The raw payload is kept as base64, cut to
 * `maxPayloadBytes` (the original size is in `bytes`), and the topic and reason are cut too, so
 * one message cannot bloat Redis whatever it holds.
 */
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import type { DeadLetter, DeadLetterCode } from '../../contract/index.js';

export type { DeadLetterCode } from '../../contract/index.js';

export interface DeadLetterInput {
  topic: string;
  code: DeadLetterCode;
  reason: string;
  payload: Buffer;
  clientId?: string;
  deviceId?: string;
  cameraId?: string;
}

export interface DeadLetterStoreOptions {
  /** Entries kept; older ones are trimmed. Default 10,000. */
  maxEntries?: number;
  /** Payload bytes kept per entry. Default 64 KiB. */
  maxPayloadBytes?: number;
  /** Characters of the reason (and of the topic) kept per entry. Default 2000. */
  maxTextChars?: number;
  now?: () => number;
}

export class DeadLetterStore {
  private readonly listKey: string;
  private readonly countsKey: string;
  private readonly maxEntries: number;
  private readonly maxPayloadBytes: number;
  private readonly maxTextChars: number;
  private readonly now: () => number;

  /** `prefix` is the centre's `redisPrefix` (e.g. `{sw}`). */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    opts: DeadLetterStoreOptions = {},
  ) {
    this.listKey = `${prefix}:ingest:dead-letters`;
    this.countsKey = `${prefix}:ingest:dead-letters:counts`;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 64 * 1024;
    this.maxTextChars = opts.maxTextChars ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  async add(input: DeadLetterInput): Promise<DeadLetter> {
    const now = this.now();
    const truncated = input.payload.length > this.maxPayloadBytes;
    const entry: DeadLetter = {
      id: ulid(now),
      at: new Date(now).toISOString(),
      topic: cut(input.topic, this.maxTextChars),
      code: input.code,
      reason: cut(input.reason, this.maxTextChars),
      ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
      ...(input.deviceId !== undefined ? { deviceId: input.deviceId } : {}),
      ...(input.cameraId !== undefined ? { cameraId: input.cameraId } : {}),
      bytes: input.payload.length,
      payloadBase64: (truncated ? input.payload.subarray(0, this.maxPayloadBytes) : input.payload).toString('base64'),
      truncated,
    };
    await this.redis
      .multi()
      .lpush(this.listKey, JSON.stringify(entry))
      .ltrim(this.listKey, 0, this.maxEntries - 1)
      .hincrby(this.countsKey, entry.code, 1)
      .exec()
      .then(failOnError);
    return entry;
  }

  /** Newest first. */
  async list(page: { offset?: number; limit?: number } = {}): Promise<DeadLetter[]> {
    const offset = Math.max(0, page.offset ?? 0);
    const limit = Math.max(0, Math.min(page.limit ?? 50, 1000));
    if (limit === 0) return [];
    const raw = await this.redis.lrange(this.listKey, offset, offset + limit - 1);
    return raw.map((s) => JSON.parse(s) as DeadLetter);
  }

  /** Entries held (at most maxEntries). */
  async count(): Promise<number> {
    return this.redis.llen(this.listKey);
  }

  /** All-time dead letters per reason code (not capped like the list). */
  async counts(): Promise<Partial<Record<DeadLetterCode, number>>> {
    const raw = await this.redis.hgetall(this.countsKey);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s);

/** MULTI reports per-command errors in its result instead of rejecting. */
export function failOnError(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('redis transaction aborted');
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
}

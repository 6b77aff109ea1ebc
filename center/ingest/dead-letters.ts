/**
 * Messages the ingest refused, kept in Redis for an operator to look at: a capped list (newest
 * first) plus all-time counters per reason code. The raw payload is kept as base64, cut to
 * `maxPayloadBytes` (the original size is in `bytes`), and the topic and reason are cut too, so
 * one message cannot bloat Redis whatever it holds.
 */
import type { RedisClient } from '../../common/redis.js';
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
  private readonly seenPrefix: string;
  private readonly maxEntries: number;
  private readonly maxPayloadBytes: number;
  private readonly maxTextChars: number;
  private readonly now: () => number;

  /** `prefix` is the centre's `redisPrefix` (e.g. `{sw}`). */
  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    opts: DeadLetterStoreOptions = {},
  ) {
    this.listKey = `${prefix}:ingest:dead-letters`;
    this.countsKey = `${prefix}:ingest:dead-letters:counts`;
    this.seenPrefix = `${prefix}:ingest:dead-letters:seen:`;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 64 * 1024;
    this.maxTextChars = opts.maxTextChars ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Adds a dead letter; with a `key` (the message's journal entry), only the first time that key is
   * seen in a day: a message handled again (a retry, a restart) still leaves one. Null when it was there.
   */
  async add(input: DeadLetterInput, key?: string): Promise<DeadLetter | null> {
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
    const added = await this.redis.eval(ADD_LUA, 3, this.listKey, this.countsKey, `${this.seenPrefix}${key ?? ''}`, JSON.stringify(entry), this.maxEntries - 1, entry.code, key ? '1' : '0');
    if (added !== 1) return null;
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

  /** A page of entries with the total held: what the API serves. */
  async page(page: { offset: number; limit: number }): Promise<{ items: DeadLetter[]; total: number }> {
    const [items, total] = await Promise.all([this.list(page), this.count()]);
    return { items, total };
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

// KEYS: list, counts, seen marker. ARGV: entry JSON, last index kept, code, '1' to add only once per marker.
const ADD_LUA = `
if ARGV[4] == '1' and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', 86400) then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 1
`;

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s);

/** MULTI reports per-command errors in its result instead of rejecting. */
export function failOnError(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('redis transaction aborted');
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
}

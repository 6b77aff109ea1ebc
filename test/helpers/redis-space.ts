import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { deleteKeys } from './redis-keys.js';

export interface RedisSpace {
  /** Random per run: names the prefix, and the test's MQTT root and instance ids. */
  id: string;
  /** `{sw<name>-<id>}`: one cluster hash slot, like a real installation's. */
  prefix: string;
  redis: Redis;
  /** What the file started (a centre, a receiver…): closed after its tests, the last handed over first. */
  closing(...close: (() => unknown)[]): void;
}

/**
 * A test file's own key space on the local Redis. Call it inside a `describe`: after the tests it
 * closes what was handed to `closing`, then drops the prefix's keys and the connection.
 */
export function redisSpace(name: string): RedisSpace {
  const id = randomBytes(4).toString('hex');
  const prefix = `{sw${name}-${id}}`;
  const redis = new Redis({ maxRetriesPerRequest: null });
  const closers: (() => unknown)[] = [];
  afterAll(async () => {
    try {
      for (const close of closers.reverse()) await close();
    } finally {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });
  return { id, prefix, redis, closing: (...close) => void closers.push(...close) };
}

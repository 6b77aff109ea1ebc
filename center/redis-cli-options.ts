/**
 * What the centre's Redis-backed commands (`device`, `user`) share: the `--prefix` option and a
 * connection to REDIS_URL held for one command.
 */
import { StreetWatchError } from '../common/errors.js';
import { connectRedis, type RedisClient } from '../common/redis.js';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_PREFIX = '{sw}';
const PREFIX_PATTERN = /^\{[A-Za-z0-9_-]+\}$/;

/** Arguments of commander's `.option` for `--prefix`. */
export const prefixOption = (env: NodeJS.ProcessEnv) =>
  ['--prefix <prefix>', 'Redis key prefix (the centre config redisPrefix; env STREETWATCH_REDIS_PREFIX)', env.STREETWATCH_REDIS_PREFIX || DEFAULT_PREFIX] as const;

/** Runs `fn` with a Redis connection (REDIS_URL) that is closed when it ends. */
export async function withRedis<T>(env: NodeJS.ProcessEnv, prefix: string, fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  if (!PREFIX_PATTERN.test(prefix)) throw new StreetWatchError('CLI_USAGE', `--prefix must be a hash tag like {sw}, got "${prefix}"`);
  const redis = await connectRedis(env.REDIS_URL || DEFAULT_REDIS_URL);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * What the centre's Redis-backed commands (`device`, `user`) share: the `--prefix` option and a
 * connection to REDIS_URL held for one command.
 */
import { StreetWatchError } from '../common/errors.js';
import { connectRedis, connectRedisCluster, isClusterNode, type RedisClient } from '../common/redis.js';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_PREFIX = '{sw}';
const PREFIX_PATTERN = /^\{[A-Za-z0-9_-]+\}$/;

/** The Redis at `url`, or, when it is a cluster node, its cluster (the prefix's keys may be on another node). */
async function connectAnyRedis(url: string): Promise<RedisClient> {
  const redis = await connectRedis(url);
  if (!(await isClusterNode(redis).catch(() => false))) return redis;
  redis.disconnect();
  return connectRedisCluster({ nodes: [url], failoverRetryMs: 5000 });
}

/** Arguments of commander's `.option` for `--prefix`. */
export const prefixOption = (env: NodeJS.ProcessEnv) =>
  ['--prefix <prefix>', 'Redis key prefix (the centre config redisPrefix; env STREETWATCH_REDIS_PREFIX)', env.STREETWATCH_REDIS_PREFIX || DEFAULT_PREFIX] as const;

/** Runs `fn` with a Redis connection (REDIS_URL; any node of a Redis Cluster will do) that is closed when it ends. */
export async function withRedis<T>(env: NodeJS.ProcessEnv, prefix: string, fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  if (!PREFIX_PATTERN.test(prefix)) throw new StreetWatchError('CLI_USAGE', `--prefix must be a hash tag like {sw}, got "${prefix}"`);
  const redis = await connectAnyRedis(env.REDIS_URL || DEFAULT_REDIS_URL);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Redis connections: one that fails fast with how to get Redis, and whether one answers. */
import { Redis } from 'ioredis';
import { StreetWatchError } from './errors.js';
import { settlesInTime } from './timeout.js';

/** Long enough for a busy Redis, short enough that a load balancer's probe gets its answer in time. */
export const REDIS_PING_TIMEOUT_MS = 1000;

/**
 * For /healthz: connected is not enough, a frozen or swamped server must count as down.
 * True when Redis answers a PING within `timeoutMs`. False at once while the connection is down,
 * rather than queueing a PING that would only be sent on reconnect.
 */
export async function redisAnswers(redis: Pick<Redis, 'status' | 'ping'>, timeoutMs = REDIS_PING_TIMEOUT_MS): Promise<boolean> {
  return redis.status === 'ready' && settlesInTime(redis.ping(), timeoutMs);
}

/** A Redis URL fit for logs and errors: the password masked. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//***@');

/** A ready Redis client, or a StreetWatchError within ~`connectTimeoutMs` saying how to get one. */
export async function connectRedis(url: string, connectTimeoutMs = 2000): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null, // a CLI should fail, not wait for Redis to come back
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    const why = (lastError ?? (err as Error)).message;
    throw new StreetWatchError(
      'REDIS_UNAVAILABLE',
      `cannot reach Redis at ${redactUrl(url)} (${why}). Start one with \`redis-server --daemonize yes\`, or point REDIS_URL at yours.`,
    );
  }
}

/** Whether a Redis answers at `url` (for the demo: use it, or start a private one). */
export async function redisAnswersAt(url: string, timeoutMs = 1500): Promise<boolean> {
  const redis = await connectRedis(url, timeoutMs).catch(() => null);
  if (!redis) return false;
  try {
    return await redisAnswers(redis, timeoutMs);
  } finally {
    redis.disconnect();
  }
}

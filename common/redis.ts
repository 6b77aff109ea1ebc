/** Whether Redis answers, for /healthz: connected is not enough, a frozen or swamped server must count as down. */
import type { Redis } from 'ioredis';

/** Long enough for a busy Redis, short enough that a load balancer's probe gets its answer in time. */
export const REDIS_PING_TIMEOUT_MS = 1000;

/**
 * True when Redis answers a PING within `timeoutMs`. False at once while the connection is down,
 * rather than queueing a PING that would only be sent on reconnect.
 */
export async function redisAnswers(redis: Pick<Redis, 'status' | 'ping'>, timeoutMs = REDIS_PING_TIMEOUT_MS): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A chore that several centre processes could run, done by one of them per round: each round
 * starts with a Redis lease (SET NX PX) that the others find taken, so they skip it.
 */
import type { RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';

export interface LeasedInterval {
  redis: RedisClient;
  /** Redis key of the lease, e.g. `<prefix>:evidence:prune-lease`. */
  leaseKey: string;
  intervalMs: number;
  /** What the round does; its result is logged with `what` (null: a round with nothing to tell). */
  run: () => Promise<Record<string, unknown> | null>;
  what: string;
  logger: Logger;
}

/** Runs a round now and every `intervalMs` (timer unref'd); returns a stop function. */
export function everyIntervalWithLease(o: LeasedInterval): () => void {
  const round = async () => {
    // The lease lapses just before the next round, so a process that died does not block it.
    const leased = await o.redis.set(o.leaseKey, String(process.pid), 'PX', Math.max(1000, o.intervalMs - 1000), 'NX');
    if (leased !== 'OK') return;
    const result = await o.run();
    if (result) o.logger.info(result, o.what);
  };
  const tick = () => void round().catch((err: Error) => o.logger.warn({ err: err.message }, `${o.what}: failed`));
  tick();
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

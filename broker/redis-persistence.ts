/**
 * aedes persistence in Redis (aedes-persistence-redis): sessions, their queued QoS 1/2 messages,
 * retained messages and wills outlive a broker restart.
 *
 * We open its Redis connection ourselves, with the ioredis 5 that the package depends on (the
 * project's ioredis 6 is not what it was tested with), so that keys get our prefix
 * (`<prefix>:mqtt:…` instead of bare `retained`, `clients`, …), an unreachable Redis fails the
 * start at once instead of retrying forever, and close() can always let go of the connection.
 *
 * On a Redis Cluster it gets a cluster client of that ioredis 5 but not the package's `cluster`
 * flag: that flag spreads retained messages over many keys and finds them by SCAN on every master,
 * which ignores the key prefix. With the prefix's hash tag every key is in one slot, so the
 * single-server layout (one retained hash, multi-key MSET and DEL) is valid on a cluster as well.
 */
import { createRequire } from 'node:module';
import type { Logger } from '../common/logger.js';
import { StreetWatchError } from '../common/errors.js';
import { clusterOptions, clusterSeeds, describeRedis, type RedisTarget } from '../common/redis.js';

export class BrokerRedisError extends StreetWatchError {}

/** The part of ioredis 5 we use; the persistence itself uses much more. */
export interface PersistenceRedis {
  connect(): Promise<void>;
  disconnect(): void;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** What aedes 1.x calls on its own; we only set it up and tear it down. */
export interface AedesPersistence {
  setup(broker: unknown): Promise<void>;
  destroy(): Promise<void>;
}

export interface RedisPersistenceOptions {
  /** A Redis (redis://[:password@]host:port[/db] or rediss://) or a Redis Cluster. */
  target: RedisTarget;
  /** Key prefix such as `{sw}`; the broker's keys become `{sw}:mqtt:…`. */
  prefix: string;
  logger: Logger;
  connectTimeoutMs?: number;
  /** Queued messages handed to a reconnecting persistent session at once. Default 1000. */
  maxSessionDelivery?: number;
}

export interface RedisPersistence {
  persistence: AedesPersistence;
  /** The same connection, keys under `<prefix>:mqtt:`. */
  redis: PersistenceRedis;
  close(): Promise<void>;
}

// The package's main export wraps its async core in the adapter aedes 1.x expects (promises, and
// Node streams where aedes pipes); the bare asyncPersistence.js returns async generators aedes cannot pipe.
const require = createRequire(import.meta.url);
const entry = require.resolve('aedes-persistence-redis');
const redisPersistence = require(entry) as (opts: { conn: PersistenceRedis; maxSessionDelivery?: number }) => AedesPersistence;
type IORedis5 = (new (url: string, opts: Record<string, unknown>) => PersistenceRedis) & {
  Cluster: new (nodes: unknown[], opts: Record<string, unknown>) => PersistenceRedis;
};
const IORedis5 = createRequire(entry)('ioredis') as IORedis5;

function persistenceConnection(o: RedisPersistenceOptions): PersistenceRedis {
  const keyPrefix = `${o.prefix}:mqtt:`;
  const connectTimeout = o.connectTimeoutMs ?? 2000;
  const { target } = o;
  if (!target.cluster) return new IORedis5(target.url, { keyPrefix, lazyConnect: true, connectTimeout });
  const options = clusterOptions(target.cluster, { connectTimeout });
  return new IORedis5.Cluster(clusterSeeds(target.cluster.nodes).startup, { ...options, keyPrefix, lazyConnect: true });
}


export async function openRedisPersistence(opts: RedisPersistenceOptions): Promise<RedisPersistence> {
  const redis = persistenceConnection(opts);
  let lastError = '';
  redis.on('error', (err) => {
    // ioredis repeats the same error on every reconnect attempt; one line per change is enough.
    if (err.message !== lastError) opts.logger.warn({ err: err.message }, 'broker persistence: redis error');
    lastError = err.message;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new BrokerRedisError(
      'BROKER_REDIS_UNAVAILABLE',
      `cannot reach ${describeRedis(opts.target)} for the MQTT broker's persistence (${lastError || (err as Error).message}); start one with \`redis-server --daemonize yes\``,
    );
  }
  const persistence = redisPersistence({ conn: redis, maxSessionDelivery: opts.maxSessionDelivery ?? 1000 });
  let closed = false;
  return {
    persistence,
    redis,
    async close() {
      if (closed) return;
      closed = true;
      // destroy() throws when setup() never ran (the broker failed to start); the connection goes regardless.
      await persistence.destroy().catch(() => undefined);
      redis.disconnect();
    },
  };
}

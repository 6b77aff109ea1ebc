/**
 * Redis connections, to one server or to a Redis Cluster: one that fails fast with how to get
 * Redis, the long-lived ones of the centre, and whether one answers.
 */
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { StreetWatchError } from './errors.js';
import { settlesInTime, withTimeout } from './timeout.js';

/** Long enough for a busy Redis, short enough that a load balancer's probe gets its answer in time. */
export const REDIS_PING_TIMEOUT_MS = 1000;

/**
 * For /healthz: connected is not enough, a frozen or swamped server must count as down.
 * True when Redis answers a PING within `timeoutMs`. False at once while the connection is down,
 * rather than queueing a PING that would only be sent on reconnect.
 */
export async function redisAnswers(redis: Pick<RedisClient, 'status' | 'ping'>, timeoutMs = REDIS_PING_TIMEOUT_MS): Promise<boolean> {
  return redis.status === 'ready' && settlesInTime(redis.ping(), timeoutMs);
}

/** A client of one Redis or of a Redis Cluster: every key of the centre shares one hash tag, so both serve it alike. */
export type RedisClient = Redis | Cluster;

export interface RedisClusterTarget {
  /** Some of the cluster's nodes, redis://[user:password@]host:port; the others are found from them. */
  nodes: readonly string[];
  /** How long a command is retried while a master fails over to its replica. */
  failoverRetryMs: number;
}

/** Where the centre's Redis is: the server at `url`, or, when `cluster` is given, that cluster (`url` unused). */
export interface RedisTarget {
  url: string;
  cluster?: RedisClusterTarget;
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

/** The target fit for logs and errors. */
export const describeRedis = (t: RedisTarget): string =>
  t.cluster ? `the Redis Cluster at ${t.cluster.nodes.map(redactUrl).join(', ')}` : `Redis at ${redactUrl(t.url)}`;

/** Seed nodes of ioredis' Cluster, and what every node connection takes from the first URL (account, TLS). */
export function clusterSeeds(nodes: readonly string[]): { startup: ClusterNode[]; redisOptions: RedisOptions } {
  const urls = nodes.map((n) => new URL(n));
  const first = urls[0];
  return {
    startup: urls.map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) })),
    redisOptions: {
      username: decodeURIComponent(first.username) || undefined,
      password: decodeURIComponent(first.password) || undefined,
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

/**
 * Cluster options that ride out a failover: a command meeting a dead master, a MOVED to it or
 * CLUSTERDOWN is tried again every 100 ms, for `failoverRetryMs` in all, until a replica has taken
 * over (ioredis counts each try as a redirection).
 */
export function clusterOptions(c: RedisClusterTarget, redisOptions: RedisOptions = {}): ClusterOptions {
  const RETRY_MS = 100;
  return {
    redisOptions: { ...clusterSeeds(c.nodes).redisOptions, ...redisOptions },
    retryDelayOnFailover: RETRY_MS,
    retryDelayOnClusterDown: RETRY_MS,
    retryDelayOnTryAgain: RETRY_MS,
    retryDelayOnMoved: RETRY_MS,
    maxRedirections: Math.max(16, Math.ceil(c.failoverRetryMs / RETRY_MS)),
  };
}

/**
 * The centre's long-lived client: retries for ever while Redis is away (BullMQ requires
 * `maxRetriesPerRequest: null`), a cluster client when the target is a cluster.
 */
export function openRedis(t: RedisTarget): RedisClient {
  if (!t.cluster) return new Redis(t.url, { maxRetriesPerRequest: null });
  return new Cluster(clusterSeeds(t.cluster.nodes).startup, clusterOptions(t.cluster, { maxRetriesPerRequest: null }));
}

/** Another connection like `client`, with `overrides` (a cluster client takes them as cluster options). */
export function duplicateRedis(client: RedisClient, overrides: { lazyConnect?: boolean; enableOfflineQueue?: boolean; enableAutoPipelining?: boolean } = {}): RedisClient {
  return client instanceof Cluster ? client.duplicate([], overrides) : client.duplicate(overrides);
}

const slotOfKey = new Map<string, number>();

/**
 * How many replicas hold every write so far of the connection that wrote `key` (Redis WAIT), waited
 * for up to `timeoutMs`; on a cluster that is the connection to the master serving its slot (0 when
 * the client does not know that master yet). WAIT blocks its connection: give the writer one of its own.
 */
export async function replicasHolding(client: RedisClient, key: string, timeoutMs: number): Promise<number> {
  if (!(client instanceof Cluster)) return client.wait(1, timeoutMs);
  let slot = slotOfKey.get(key);
  if (slot === undefined) slotOfKey.set(key, (slot = Number(await client.cluster('KEYSLOT', key))));
  const master = client.slots[slot]?.[0];
  const node = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master);
  return node ? node.wait(1, timeoutMs) : 0;
}

/** Whether the server behind `redis` runs in cluster mode (`cluster-enabled yes`). */
export async function isClusterNode(redis: Redis): Promise<boolean> {
  return /^cluster_enabled:1\b/m.test(await redis.info('cluster'));
}

/**
 * Fails within ~`connectTimeoutMs`, with how to fix it, when the target cannot serve the centre:
 * unreachable, a cluster whose slots are not all served, or a cluster node named as a single Redis
 * (most keys would answer MOVED).
 */
export async function checkRedis(t: RedisTarget, connectTimeoutMs = 2000): Promise<void> {
  if (!t.cluster) {
    const redis = await connectRedis(t.url, connectTimeoutMs);
    try {
      if (await isClusterNode(redis)) {
        throw new StreetWatchError(
          'REDIS_IS_CLUSTER',
          `${describeRedis(t)} is a node of a Redis Cluster: list the cluster's nodes under redisCluster.nodes in the centre config instead of redisUrl.`,
        );
      }
    } finally {
      redis.disconnect();
    }
    return;
  }
  (await connectRedisCluster(t.cluster, connectTimeoutMs)).disconnect();
}

/** A ready client of a cluster whose slots are all served, or a StreetWatchError saying what to check. */
export async function connectRedisCluster(c: RedisClusterTarget, connectTimeoutMs = 2000): Promise<Cluster> {
  const cluster = new Cluster(clusterSeeds(c.nodes).startup, {
    ...clusterOptions(c, { connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 1 }),
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null, // fail, not wait for the cluster to come back
  });
  let lastError: string | undefined;
  cluster.on('node error', (err: Error, address: string) => (lastError = `${address}: ${err.message}`));
  cluster.on('error', () => undefined); // 'node error' says which node and why
  try {
    await withTimeout(cluster.connect(), connectTimeoutMs * 2, 'connecting');
    const info = await cluster.cluster('INFO');
    if (!/^cluster_state:ok\b/m.test(info)) throw new Error('cluster_state is not ok: are all slots served?');
    return cluster;
  } catch (err) {
    cluster.disconnect();
    const why = lastError ?? (err as Error).message;
    throw new StreetWatchError(
      'REDIS_UNAVAILABLE',
      `cannot use ${describeRedis({ url: '', cluster: c })} (${why}). Check that the nodes run with \`cluster-enabled yes\` and that \`redis-cli --cluster check\` passes.`,
    );
  }
}

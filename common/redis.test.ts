/** Redis Cluster connection options (pure) and the start-up check's refusals, on the machine's Redis. */
import { describe, expect, it } from 'vitest';
import { checkRedis, clusterOptions, clusterSeeds } from './redis.js';

describe('clusterSeeds', () => {
  it('takes host and port of every node, the account and TLS of the first', () => {
    expect(clusterSeeds(['rediss://ops:p%40ss@[::1]:7001', 'redis://10.0.0.2'])).toEqual({
      startup: [{ host: '::1', port: 7001 }, { host: '10.0.0.2', port: 6379 }],
      redisOptions: { username: 'ops', password: 'p@ss', tls: {} },
    });
    expect(clusterSeeds(['redis://:secret@10.0.0.1:7000']).redisOptions).toEqual({ username: undefined, password: 'secret' });
  });
});

describe('clusterOptions', () => {
  it('retries every 100 ms for the failover time, whatever the error of a failing-over master', () => {
    const o = clusterOptions({ nodes: ['redis://10.0.0.1:7000'], failoverRetryMs: 20_000 }, { maxRetriesPerRequest: null });
    expect(o).toMatchObject({ retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100, retryDelayOnMoved: 100, maxRedirections: 200 });
    expect(o.redisOptions).toEqual({ username: undefined, password: undefined, maxRetriesPerRequest: null });
    expect(clusterOptions({ nodes: ['redis://a:1'], failoverRetryMs: 100 }).maxRedirections).toBe(16);
  });
});

describe('checkRedis with a cluster', () => {
  it('refuses nodes nobody answers on, naming them', async () => {
    const err = await checkRedis({ url: '', cluster: { nodes: ['redis://127.0.0.1:1'], failoverRetryMs: 1000 } }, 500).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect((err as Error).message).toContain('the Redis Cluster at redis://127.0.0.1:1');
  });

  it('refuses a Redis that is not in cluster mode', async () => {
    const err = await checkRedis({ url: '', cluster: { nodes: ['redis://127.0.0.1:6379'], failoverRetryMs: 1000 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/cluster support disabled|cluster-enabled yes/);
  });

  it('takes a single Redis at its URL', async () => {
    await expect(checkRedis({ url: 'redis://127.0.0.1:6379' })).resolves.toBeUndefined();
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.js';
import { redisAnswersAt } from '../common/redis.js';
import { demoRedis, type DemoRedis } from './demo-redis.js';
import { freePort } from './ports.js';

describe('demo Redis', () => {
  let started: DemoRedis | undefined;
  afterEach(async () => {
    await started?.stop();
    started = undefined;
  });

  it('uses REDIS_URL when it answers', async () => {
    started = await demoRedis(tempDir(), { ...process.env, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(started).toMatchObject({ url: 'redis://127.0.0.1:6379', private: false });
  });

  it('otherwise starts a private redis-server with its data in the data directory, and stops it', async () => {
    const dir = tempDir();
    const closed = `redis://127.0.0.1:${await freePort()}`;
    started = await demoRedis(dir, { ...process.env, REDIS_URL: closed });
    expect(started.private).toBe(true);
    expect(started.url).not.toBe(closed);
    expect(await redisAnswersAt(started.url)).toBe(true);
    expect(existsSync(join(dir, 'redis'))).toBe(true);
    await started.stop();
    expect(await redisAnswersAt(started.url, 300)).toBe(false);
  });

  it('says how to get Redis when there is none and no redis-server to start', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    await expect(demoRedis(tempDir(), { PATH: tempDir(), REDIS_URL: closed })).rejects.toThrow(/redis-server is not installed.*apt-get install redis-server.*REDIS_URL/s);
  });
});

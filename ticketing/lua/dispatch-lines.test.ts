import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys } from '../../test/helpers/redis-keys.js';
import { lineQueueScript } from './line-queue.js';
import { lineTurnScript } from './line-turn.js';
import { runScript } from './script.js';

const HOLD_MS = 60_000;
const LONG_MS = 24 * 3600_000;

let redis: Redis;
let prefix: string;
beforeAll(() => {
  redis = new Redis({ host: '127.0.0.1', port: 6379 });
  prefix = `{swtest-line-${randomBytes(6).toString('hex')}}`;
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

const jobs = () => `${prefix}:dispatch:`;
/** A BullMQ job hash as far as the script reads it. */
const job = (id: string, finished: boolean) => redis.hset(`${jobs()}${id}`, { timestamp: 1, ...(finished ? { finishedOn: 2 } : {}) });
const orderKey = () => `${prefix}:wo:o1`;
const turnWithOrder = async (line: string, id: string) => (await runScript(redis, lineTurnScript, [line, orderKey()], [id, jobs(), HOLD_MS])) as [number, string?];
/** 1: the notice's turn; 0: another is ahead. */
const turn = async (line: string, id: string) => (await turnWithOrder(line, id))[0];

describe('the dispatch line queue script', () => {
  it('appends a batch of notices to their lines in the order given and keeps each line for the TTL', async () => {
    const [one, two] = [`${prefix}:dispatch:line:q1:team:t1`, `${prefix}:dispatch:line:q2:team:t1`];
    await redis.rpush(one, 'earlier');
    expect(await runScript(redis, lineQueueScript, [one, two], [LONG_MS, 1, 'a', 2, 'x', 1, 'b'])).toBe(2);
    expect(await redis.lrange(one, 0, -1)).toEqual(['earlier', 'a', 'b']);
    expect(await redis.lrange(two, 0, -1)).toEqual(['x']);
    for (const key of [one, two]) expect(await redis.pttl(key)).toBeGreaterThan(LONG_MS - 60_000);
  });
});

describe('the dispatch line turn script', () => {
  it('waits behind an unfinished notice, drops finished and vanished ones, and holds a line left to its last notice briefly', async () => {
    const line = `${prefix}:dispatch:line:o1:team:t1`;
    await Promise.all([job('a', true), job('b', false), job('c', false)]);
    // 'gone' has no job hash (removed): it blocks nothing.
    await redis.rpush(line, 'a', 'gone', 'b', 'c');
    await redis.pexpire(line, LONG_MS);

    expect(await turn(line, 'c')).toBe(0); // b is ahead and unfinished
    expect(await redis.lrange(line, 0, -1)).toEqual(['b', 'c']); // a and gone dropped on the way
    expect(await turn(line, 'b')).toBe(1);
    expect(await redis.pttl(line)).toBeGreaterThan(HOLD_MS); // c still waits behind b: the long TTL stays

    await job('b', true);
    expect(await turn(line, 'c')).toBe(1);
    expect(await redis.lrange(line, 0, -1)).toEqual(['c']); // c finishing needs no write: the next turn drops it
    const ttl = await redis.pttl(line);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(HOLD_MS);
  });

  it("reads the order on the notice's turn only", async () => {
    const line = `${prefix}:dispatch:line:o3:team:t1`;
    await Promise.all([job('d', false), job('e', false)]);
    await redis.rpush(line, 'd', 'e');
    expect(await turnWithOrder(line, 'd')).toEqual([1, null]); // no order stored
    await redis.set(orderKey(), '{"id":"o1"}');
    expect(await turnWithOrder(line, 'd')).toEqual([1, '{"id":"o1"}']);
    expect(await turnWithOrder(line, 'e')).toEqual([0]);
  });

  it('lets a notice go that is not in its line (queued before lines, or the line expired)', async () => {
    const line = `${prefix}:dispatch:line:o2:team:t1`;
    expect(await turn(line, 'x')).toBe(1);
    await job('y', true);
    await redis.rpush(line, 'y');
    expect(await turn(line, 'x')).toBe(1);
    expect(await redis.exists(line)).toBe(0); // y dropped: nothing left
  });
});

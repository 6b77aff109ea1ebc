/**
 * The journal: on an auto-pipelined connection, as the centre's ingest uses it (center/start.ts),
 * and its wait for a replica on the machine's Redis, which has none: the first append waits and
 * tells, the next ones do not wait until the recheck is due. (With replicas: the cluster e2e.)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { journalKey, JournalReader, JournalWriter } from './journal.js';
import { redisNamespaces } from './test-fixtures.js';

const prefix = `{swtest-journal-${randomBytes(4).toString('hex')}}`;
// The centre's ingest connection is auto-pipelined (center/start.ts): every command must survive that.
const redis = new Redis({ host: '127.0.0.1', port: 6379, enableAutoPipelining: true });
const blocking = redis.duplicate({ enableAutoPipelining: false });

afterAll(async () => {
  await redis.del(journalKey(prefix));
  redis.disconnect();
  blocking.disconnect();
});

describe('journal on an auto-pipelined connection', () => {
  it('appends, reads, takes over what a dead consumer held, and deletes once done', async () => {
    const writer = new JournalWriter(redis, prefix);
    const dead = new JournalReader(blocking, redis, prefix, 'dead');
    const alive = new JournalReader(blocking, redis, prefix, 'alive');
    await dead.init();
    const photo = Buffer.from([0xff, 0xd8, 0x00, 0xfe, 0xff, 0xd9]);
    await Promise.all([
      writer.append({ topic: 'r/v1/pole-1/cam-1/evidence/e1', payload: photo, retained: false }),
      writer.append({ topic: 'r/v1/pole-1/status', payload: Buffer.from('{}'), retained: true }),
    ]);
    const held = await dead.read(10, 100);
    expect(held.map((e) => e.topic)).toEqual(['r/v1/pole-1/cam-1/evidence/e1', 'r/v1/pole-1/status']);

    const taken = await alive.claimIdle(0, 10);
    expect(taken.map((e) => e.id)).toEqual(held.map((e) => e.id));
    expect(taken[0].payload.equals(photo)).toBe(true);
    expect(taken[1].retained).toBe(true);

    await alive.done(taken.map((e) => e.id));
    expect(await writer.length()).toBe(0);
  });
});

describe('JournalWriter waiting for a replica', () => {
  const ns = redisNamespaces();

  it('appends without a replica, tells once, and waits again only after the recheck', async () => {
    let now = 1_000_000;
    let told = 0;
    const prefix = ns.freshPrefix();
    const journal = new JournalWriter(ns.redis(), prefix, { now: () => now, replicaAckMs: 20, onNoReplica: () => told++ });
    const m = { topic: 'root/pole-1/cam-1/detections', payload: Buffer.from('{}'), retained: false };
    await journal.append(m);
    expect(told).toBe(1);
    await journal.append(m);
    now += 4_999;
    await journal.append(m);
    expect(told).toBe(1);
    now += 2;
    await journal.append(m);
    expect(told).toBe(2);
    // Every message is in the journal all the same.
    expect(await journal.length()).toBe(4);
    expect((await ns.redis().xrange(`${prefix}:ingest:journal`, '-', '+')).map(([, f]) => f[1])).toEqual(Array(4).fill(m.topic));
  });

  it('makes appends answered together share a WAIT (it blocks the connection), not send one each', async () => {
    const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(await ns.redis().info('commandstats'))?.[1] ?? 0);
    const before = await waits();
    const journal = new JournalWriter(ns.redis(), ns.freshPrefix(), { replicaAckMs: 50 });
    const m = { topic: 'root/pole-1/cam-1/detections', payload: Buffer.from('{}'), retained: false };
    await Promise.all(Array.from({ length: 20 }, () => journal.append(m)));
    // The first reply may come alone: at most two WAITs for the twenty.
    expect((await waits()) - before).toBeLessThanOrEqual(2);
    expect(await journal.length()).toBe(20);
  });

  it('does not wait at all with replicaAckMs 0', async () => {
    let told = 0;
    const journal = new JournalWriter(ns.redis(), ns.freshPrefix(), { onNoReplica: () => told++ });
    await journal.append({ topic: 't', payload: Buffer.from('x'), retained: true });
    expect(told).toBe(0);
    expect(await journal.length()).toBe(1);
  });
});

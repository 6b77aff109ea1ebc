import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { journalKey, JournalReader, JournalWriter } from './journal.js';

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

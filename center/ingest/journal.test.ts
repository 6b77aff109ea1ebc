/**
 * The journal's wait for a replica, on the machine's Redis, which has none: the first append waits
 * and tells, the next ones do not wait until the recheck is due. (With replicas: the cluster e2e.)
 */
import { describe, expect, it } from 'vitest';
import { JournalWriter } from './journal.js';
import { redisNamespaces } from './test-fixtures.js';

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

  it('does not wait at all with replicaAckMs 0', async () => {
    let told = 0;
    const journal = new JournalWriter(ns.redis(), ns.freshPrefix(), { onNoReplica: () => told++ });
    await journal.append({ topic: 't', payload: Buffer.from('x'), retained: true });
    expect(told).toBe(0);
    expect(await journal.length()).toBe(1);
  });
});

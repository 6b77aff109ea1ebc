import { describe, expect, it } from 'vitest';
import { DeadLetterStore } from './dead-letters.js';
import { redisNamespaces } from './test-fixtures.js';

describe('DeadLetterStore (Redis)', () => {
  const ns = redisNamespaces();
  const fresh = (opts?: ConstructorParameters<typeof DeadLetterStore>[2]) => new DeadLetterStore(ns.redis(), ns.freshPrefix(), opts);

  it('adds entries, lists them newest first with offset/limit, counts them per reason code', async () => {
    const store = fresh();
    await store.add({ topic: 'r/v1/d1/status', code: 'bad_json', reason: 'status: not UTF-8 JSON', payload: Buffer.from('{nope') });
    await store.add({ topic: 'r/v1/d1/cam-1/detections', code: 'schema_invalid', reason: 'detection: confidence: too big', payload: Buffer.from('{}'), deviceId: 'd1', cameraId: 'cam-1', clientId: 'edge-d1' });
    await store.add({ topic: 'r/v1/d2/status', code: 'bad_json', reason: 'x', payload: Buffer.from('') });

    expect(await store.count()).toBe(3);
    const all = await store.list();
    expect(all.map((e) => e.topic)).toEqual(['r/v1/d2/status', 'r/v1/d1/cam-1/detections', 'r/v1/d1/status']);
    expect(all[1]).toMatchObject({ code: 'schema_invalid', deviceId: 'd1', cameraId: 'cam-1', clientId: 'edge-d1', bytes: 2, truncated: false });
    expect(Buffer.from(all[2].payloadBase64, 'base64').toString()).toBe('{nope');
    expect(all[0].id).toMatch(/^[0-9A-Z]{26}$/);
    expect(Date.parse(all[0].at)).toBeGreaterThan(0);

    expect((await store.list({ offset: 1, limit: 1 })).map((e) => e.topic)).toEqual(['r/v1/d1/cam-1/detections']);
    expect(await store.list({ offset: 5, limit: 10 })).toEqual([]);
    expect(await store.counts()).toEqual({ bad_json: 2, schema_invalid: 1 });
  });

  it('truncates big payloads and notes the original size', async () => {
    const store = fresh({ maxPayloadBytes: 1024 });
    const big = Buffer.alloc(100_000, 7);
    const e = (await store.add({ topic: 't', code: 'oversized', reason: 'too big', payload: big }))!;
    expect(e.bytes).toBe(100_000);
    expect(e.truncated).toBe(true);
    const [stored] = await store.list();
    expect(Buffer.from(stored.payloadBase64, 'base64').equals(big.subarray(0, 1024))).toBe(true);
  });

  it('adds a keyed dead letter once: a message handled again leaves no second one', async () => {
    const store = fresh();
    const input = { topic: 't', code: 'bad_json' as const, reason: 'not JSON', payload: Buffer.from('x') };
    expect(await store.add(input, '1700000000000-0')).not.toBeNull();
    expect(await store.add(input, '1700000000000-0')).toBeNull();
    expect(await store.add(input, '1700000000000-1')).not.toBeNull();
    expect(await store.add(input)).not.toBeNull();
    expect(await store.count()).toBe(3);
    expect(await store.counts()).toEqual({ bad_json: 3 });
  });

  it('keeps only the newest maxEntries, while the counters keep counting', async () => {
    const store = fresh({ maxEntries: 5 });
    for (let i = 0; i < 8; i++) await store.add({ topic: `t/${i}`, code: 'unknown_topic', reason: 'r', payload: Buffer.from(String(i)) });
    expect(await store.count()).toBe(5);
    expect((await store.list({ limit: 100 })).map((e) => e.topic)).toEqual(['t/7', 't/6', 't/5', 't/4', 't/3']);
    expect(await store.counts()).toEqual({ unknown_topic: 8 });
  });
});

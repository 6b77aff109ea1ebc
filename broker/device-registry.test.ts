import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry, DeviceRegistryError } from './device-registry.js';
import { dropPrefix, REDIS_URL, testPrefix, waitFor } from './test-support.js';

const prefix = testPrefix();
let redis: Redis;
let registry: DeviceRegistry;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  registry = new DeviceRegistry(redis, prefix);
});

afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceRegistryError);
    return (e as DeviceRegistryError).code;
  }
  throw new Error('expected a rejection');
};

describe('DeviceRegistry', () => {
  it('adds a device and returns its credentials once; only a salted scrypt hash is stored', async () => {
    const creds = await registry.add('pole-1');
    expect(creds.deviceId).toBe('pole-1');
    expect(creds.username).toBe('pole-1');
    expect(Buffer.from(creds.password, 'base64url')).toHaveLength(32);
    const stored = await redis.hgetall(`${prefix}:device:pole-1`);
    expect(JSON.stringify(stored)).not.toContain(creds.password);
    expect(stored.secretHash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await redis.sismember(`${prefix}:devices`, 'pole-1')).toBe(1);
    // same password, different salt, different hash
    await registry.add('pole-1b');
    expect((await redis.hget(`${prefix}:device:pole-1b`, 'secretHash'))?.split('$')[4]).not.toBe(stored.secretHash.split('$')[4]);
  });

  it('verifies the right password and refuses a wrong one or an unknown user', async () => {
    const creds = await registry.add('pole-2');
    expect((await registry.verify('pole-2', creds.password))?.deviceId).toBe('pole-2');
    expect(await registry.verify('pole-2', Buffer.from(creds.password))).not.toBeNull();
    expect(await registry.verify('pole-2', `${creds.password}x`)).toBeNull();
    expect(await registry.verify('pole-2', '')).toBeNull();
    expect(await registry.verify('pole-2', undefined)).toBeNull();
    expect(await registry.verify('nobody', creds.password)).toBeNull();
    expect(await registry.verify('pole/2', creds.password)).toBeNull();
    // the cached proof does not let a wrong password through
    expect(await registry.verify('pole-2', 'wrong')).toBeNull();
  });

  it('refuses an existing device, invalid ids and reserved ids with stable codes', async () => {
    await registry.add('pole-3');
    expect(await codeOf(registry.add('pole-3'))).toBe('DEVICE_EXISTS');
    for (const bad of ['', 'a/b', 'a+b', 'a#', 'with space', 'x'.repeat(65), '.', '..']) {
      expect(await codeOf(registry.add(bad)), bad).toBe('DEVICE_INVALID_ID');
    }
    expect(await codeOf(registry.add('teams'))).toBe('DEVICE_RESERVED_ID');
  });

  it("refuses the centre's names as device ids, saying which name and why, on add and rotate", async () => {
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
    const cases: Array<[string, RegExp]> = [
      ['teams', /^"teams" is reserved: its topics would collide with the centre's/],
      ['streetwatch-center', /^"streetwatch-center" is reserved: it is the centre's default MQTT account name/],
      ['streetwatch-center-host-8080-41', /^"streetwatch-center-host-8080-41" is reserved: it starts with streetwatch-center-, as the client ids of the centre's own MQTT connections do/],
      ['streetwatch-ingest-host-8080', /^"streetwatch-ingest-host-8080" is reserved: it starts with streetwatch-ingest-/],
      ['streetwatch-api-host-8080-41', /^"streetwatch-api-host-8080-41" is reserved: it starts with streetwatch-api-/],
    ];
    for (const [id, message] of cases) {
      expect(await refusal(registry.add(id)), id).toMatchObject({ code: 'DEVICE_RESERVED_ID', message: expect.stringMatching(message) });
      expect(await refusal(registry.rotate(id)), id).toMatchObject({ code: 'DEVICE_RESERVED_ID' });
      expect(await registry.get(id)).toBeNull();
    }
    // Near misses are ordinary ids.
    for (const id of ['streetwatch-centre', 'streetwatch-edge-1', 'my-streetwatch-api-1']) expect((await registry.add(id)).deviceId).toBe(id);
  });

  it('refuses a name the centre reserved (its configured MQTT account), from another registry instance too', async () => {
    await new DeviceRegistry(redis, prefix).reserveName('city-centre');
    expect(await registry.add('city-centre').catch((e: unknown) => e)).toMatchObject({
      code: 'DEVICE_RESERVED_ID',
      message: `"city-centre" is reserved: it is the centre's MQTT account name; choose another device id`,
    });
    expect(await registry.get('city-centre')).toBeNull();
  });

  it('revoke takes effect at once, even with the password cached', async () => {
    const creds = await registry.add('pole-4');
    expect(await registry.verify('pole-4', creds.password)).not.toBeNull(); // now cached
    const info = await registry.revoke('pole-4');
    expect(info.revokedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await registry.verify('pole-4', creds.password)).toBeNull();
    // revoking again keeps the first time; a revoked device cannot be re-added
    expect((await registry.revoke('pole-4')).revokedAt).toBe(info.revokedAt);
    expect(await codeOf(registry.add('pole-4'))).toBe('DEVICE_EXISTS');
    expect(await codeOf(registry.revoke('nobody'))).toBe('DEVICE_NOT_FOUND');
    expect(await registry.revokedAmong(['pole-4', 'pole-3', 'nobody'])).toEqual(new Set(['pole-4', 'nobody']));
  });

  it('rotate replaces the password (the old one stops at once) and reinstates a revoked device', async () => {
    const old = await registry.add('pole-5');
    expect(await registry.verify('pole-5', old.password)).not.toBeNull(); // cached
    await registry.revoke('pole-5');
    const fresh = await registry.rotate('pole-5');
    expect(fresh.password).not.toBe(old.password);
    expect(await registry.verify('pole-5', old.password)).toBeNull();
    const info = await registry.verify('pole-5', fresh.password);
    expect(info?.revokedAt).toBeNull();
    expect(info?.rotatedAt).toBeDefined();
    expect(await codeOf(registry.rotate('nobody'))).toBe('DEVICE_NOT_FOUND');
  });

  it('a second registry instance (another process) sees a rotate made by the first', async () => {
    const creds = await registry.add('pole-6');
    const other = new DeviceRegistry(redis, prefix);
    expect(await other.verify('pole-6', creds.password)).not.toBeNull();
    await registry.rotate('pole-6');
    expect(await other.verify('pole-6', creds.password)).toBeNull();
  });

  it('touch records last seen, but never creates a device', async () => {
    await registry.add('pole-7');
    expect((await registry.get('pole-7'))?.lastSeenAt).toBeUndefined();
    await registry.touch('pole-7');
    expect((await registry.get('pole-7'))?.lastSeenAt).toMatch(/Z$/);
    await registry.touch('ghost');
    expect(await redis.exists(`${prefix}:device:ghost`)).toBe(0);
    expect(await registry.get('ghost')).toBeNull();
  });

  it('lists every device sorted, with state', async () => {
    const list = await registry.list();
    expect(list.map((d) => d.deviceId)).toEqual(['my-streetwatch-api-1', 'pole-1', 'pole-1b', 'pole-2', 'pole-3', 'pole-4', 'pole-5', 'pole-6', 'pole-7', 'streetwatch-centre', 'streetwatch-edge-1']);
    expect(list.find((d) => d.deviceId === 'pole-4')?.revokedAt).not.toBeNull();
    expect(list.find((d) => d.deviceId === 'pole-1')).toEqual({ deviceId: 'pole-1', createdAt: expect.stringMatching(/Z$/), revokedAt: null });
  });

  it('skips scrypt on a cached reconnect', async () => {
    const creds = await registry.add('pole-8');
    let t = performance.now();
    await registry.verify('pole-8', creds.password);
    const cold = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < 5; i++) await registry.verify('pole-8', creds.password);
    const warm = (performance.now() - t) / 5;
    expect(warm).toBeLessThan(cold);
    await registry.revoke('pole-8');
  });

  it('announces each revoke to its watchers, whichever instance made it, until they stop', async () => {
    const otherPrefix = `${prefix.slice(0, -1)}-other}`; // another centre on the same Redis
    await new DeviceRegistry(redis, otherPrefix).add('pole-x');
    for (const id of ['pole-9', 'pole-10']) await registry.add(id);
    const heard: string[] = [];
    const witnessed: string[] = [];
    const fail = (err: Error) => expect.unreachable(err.message);
    const stop = await registry.watchRevocations((deviceId) => heard.push(deviceId), fail);
    const stopWitness = await registry.watchRevocations((deviceId) => witnessed.push(deviceId), fail);
    try {
      await new DeviceRegistry(redis, otherPrefix).revoke('pole-x');
      await new DeviceRegistry(redis, prefix).revoke('pole-9');
      await waitFor(() => heard.length > 0, 1000);
      expect(heard).toEqual(['pole-9']);
      await stop();
      await registry.revoke('pole-10');
      await waitFor(() => witnessed.includes('pole-10'), 1000);
      expect(heard).toEqual(['pole-9']);
    } finally {
      await stopWitness();
      await dropPrefix(redis, otherPrefix);
    }
  });
});

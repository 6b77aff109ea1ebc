/**
 * Edge devices allowed on the broker, in Redis: `<prefix>:device:<id>` (a hash) and the set
 * `<prefix>:devices`. Only a salted scrypt hash of each device's secret is stored; the secret
 * itself is returned once, by `add` or `rotate`. Names the centre uses for itself are in the set
 * `<prefix>:reserved-names`; revokes are announced on the pub/sub channel `<prefix>:device-revoked`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { duplicateRedis, type RedisClient } from '../common/redis.js';
import { StreetWatchError } from '../common/errors.js';
import { checkSecret, hashSecret } from '../common/secret-hash.js';
import { CENTER_CLIENT_ID_PREFIXES, DEFAULT_CENTER_USERNAME, ID_PATTERN, RESERVED_DEVICE_IDS } from '../contract/index.js';

export class DeviceRegistryError extends StreetWatchError {}

export interface DeviceCredentials {
  deviceId: string;
  /** Always the device id: the broker maps a username to its topic prefix. */
  username: string;
  password: string;
}

export interface DeviceInfo {
  deviceId: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  revokedAt: string | null;
  lastSeenAt?: string;
  rotatedAt?: string;
}

export interface DeviceRegistryOptions {
  /** How long a verified password is remembered, so reconnects skip scrypt. Default 5 min. */
  cacheTtlMs?: number;
  now?: () => number;
}

const CACHE_MAX = 10_000;

// Creation and updates are scripts so a device is never half-written or resurrected by a late touch.
const ADD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'deviceId', ARGV[1], 'secretHash', ARGV[2], 'createdAt', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return 1`;
const ROTATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'secretHash', ARGV[1], 'rotatedAt', ARGV[2])
redis.call('HDEL', KEYS[1], 'revokedAt')
return 1`;
const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'revokedAt', ARGV[1])
return 1`;
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
return 1`;

interface CacheEntry {
  secretHash: string;
  digest: Buffer;
  expiresAt: number;
}

export class DeviceRegistry {
  private readonly cacheTtlMs: number;
  private readonly now: () => number;
  /** deviceId → proof of the last password that passed scrypt (an HMAC under a per-process key). */
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheKey = randomBytes(32);

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    opts: DeviceRegistryOptions = {},
  ) {
    if (!prefix) throw new DeviceRegistryError('DEVICE_REGISTRY_CONFIG', 'the registry needs a key prefix such as {sw}');
    this.cacheTtlMs = opts.cacheTtlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Registers a device and returns its credentials; they cannot be read back later. */
  async add(deviceId: string): Promise<DeviceCredentials> {
    await this.checkId(deviceId);
    const password = randomBytes(32).toString('base64url');
    const created = await this.redis.eval(ADD, 2, this.key(deviceId), this.setKey(), deviceId, await hashSecret(password), this.iso());
    if (created !== 1) {
      const existing = await this.get(deviceId);
      const state = existing?.revokedAt ? ` (revoked ${existing.revokedAt})` : '';
      throw new DeviceRegistryError('DEVICE_EXISTS', `device ${deviceId} already exists${state}; use rotate to issue new credentials`);
    }
    return { deviceId, username: deviceId, password };
  }

  /** New credentials for an existing device; the old password stops working, a revoked device is reinstated. */
  async rotate(deviceId: string): Promise<DeviceCredentials> {
    await this.checkId(deviceId);
    const password = randomBytes(32).toString('base64url');
    const done = await this.redis.eval(ROTATE, 1, this.key(deviceId), await hashSecret(password), this.iso());
    if (done !== 1) throw notFound(deviceId);
    this.cache.delete(deviceId);
    return { deviceId, username: deviceId, password };
  }

  /**
   * The device these credentials belong to, or null (unknown, wrong password, revoked). Reads the
   * device from Redis every time, so a revoke or rotate counts at once; only scrypt is cached.
   */
  async verify(username: string | undefined, password: string | Buffer | undefined): Promise<DeviceInfo | null> {
    if (!username || !password || !ID_PATTERN.test(username)) return null;
    const fields = await this.redis.hgetall(this.key(username));
    const info = toInfo(fields);
    if (!info || info.revokedAt || !fields.secretHash) return null;
    const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
    const digest = createHmac('sha256', this.cacheKey).update(pw).digest();
    const hit = this.cache.get(username);
    if (hit && hit.expiresAt > this.now() && hit.secretHash === fields.secretHash && timingSafeEqual(hit.digest, digest)) return info;
    if (!(await checkSecret(pw, fields.secretHash))) return null;
    this.remember(username, { secretHash: fields.secretHash, digest, expiresAt: this.now() + this.cacheTtlMs });
    return info;
  }

  async get(deviceId: string): Promise<DeviceInfo | null> {
    if (!ID_PATTERN.test(deviceId)) return null;
    return toInfo(await this.redis.hgetall(this.key(deviceId)));
  }

  /** Every device, sorted by id. */
  async list(): Promise<DeviceInfo[]> {
    const ids = (await this.redis.smembers(this.setKey())).sort();
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.key(id));
    const replies = (await pipe.exec()) ?? [];
    return replies.flatMap(([err, fields]) => {
      if (err) throw err;
      const info = toInfo(fields as Record<string, string>);
      return info ? [info] : [];
    });
  }

  /**
   * Revokes a device: it can no longer connect, and every centre process watching revocations
   * (watchRevocations) hears of it at once. Revoking twice keeps the first time.
   */
  async revoke(deviceId: string): Promise<DeviceInfo> {
    const done = ID_PATTERN.test(deviceId) ? await this.redis.eval(REVOKE, 1, this.key(deviceId), this.iso()) : 0;
    if (done !== 1) throw notFound(deviceId);
    this.cache.delete(deviceId);
    await this.redis.publish(this.revocationChannel(), deviceId);
    const info = await this.get(deviceId);
    if (!info) throw notFound(deviceId);
    return info;
  }

  /** The subset of `deviceIds` that is revoked or gone: one round trip, for the broker's sweep. */
  async revokedAmong(deviceIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (deviceIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of deviceIds) pipe.hmget(this.key(id), 'deviceId', 'revokedAt');
    const replies = (await pipe.exec()) ?? [];
    replies.forEach(([err, reply], i) => {
      if (err) throw err;
      const [exists, revokedAt] = reply as [string | null, string | null];
      if (!exists || revokedAt) out.add(deviceIds[i]);
    });
    return out;
  }

  /**
   * Keeps `name` from ever being a device id: the centre records its MQTT account name here at
   * start, so that `device add`, in whatever process, refuses a device that would share it.
   */
  async reserveName(name: string): Promise<void> {
    await this.redis.sadd(this.reservedKey(), name);
  }

  /**
   * Calls `onRevoked` with each device revoked from now on, by this process or another, over Redis
   * pub/sub on a connection of its own. Resolves once subscribed, with the function that stops it.
   * A revoke announced while that connection is down is not heard: keep a periodic check
   * (revokedAmong) as a backstop.
   */
  async watchRevocations(onRevoked: (deviceId: string) => void, onError: (err: Error) => void): Promise<() => Promise<void>> {
    const channel = this.revocationChannel();
    const subscriber = duplicateRedis(this.redis);
    subscriber.on('error', onError);
    subscriber.on('message', (from: string, deviceId: string) => {
      if (from === channel) onRevoked(deviceId);
    });
    try {
      await subscriber.subscribe(channel);
    } catch (err) {
      subscriber.disconnect();
      throw err;
    }
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  /** Records that the device was just seen (connected, published, disconnected). */
  async touch(deviceId: string): Promise<void> {
    if (ID_PATTERN.test(deviceId)) await this.redis.eval(TOUCH, 1, this.key(deviceId), this.iso());
  }

  private remember(deviceId: string, entry: CacheEntry): void {
    this.cache.delete(deviceId);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(deviceId, entry);
  }

  private key(deviceId: string): string {
    return `${this.prefix}:device:${deviceId}`;
  }

  private setKey(): string {
    return `${this.prefix}:devices`;
  }

  private revocationChannel(): string {
    return `${this.prefix}:device-revoked`;
  }

  private reservedKey(): string {
    return `${this.prefix}:reserved-names`;
  }

  /** A well-formed id that no name of the centre's takes. */
  private async checkId(deviceId: string): Promise<void> {
    checkIdFormat(deviceId);
    const why = reservedBecause(deviceId)
      ?? ((await this.redis.sismember(this.reservedKey(), deviceId)) ? "it is the centre's MQTT account name" : null);
    if (why) throw new DeviceRegistryError('DEVICE_RESERVED_ID', `"${deviceId}" is reserved: ${why}; choose another device id`);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function checkIdFormat(deviceId: string): void {
  // `.` and `..` pass ID_PATTERN but would turn topic levels into path segments downstream.
  if (!ID_PATTERN.test(deviceId) || deviceId === '.' || deviceId === '..') {
    throw new DeviceRegistryError('DEVICE_INVALID_ID', `"${deviceId}" is not a valid device id: letters, digits, _ . - only (1-64 characters)`);
  }
}

/** Why a name the centre always uses is no device id, or null. Its configured account name is in Redis (reserveName). */
function reservedBecause(deviceId: string): string | null {
  if (RESERVED_DEVICE_IDS.includes(deviceId)) return "its topics would collide with the centre's";
  if (deviceId === DEFAULT_CENTER_USERNAME) return "it is the centre's default MQTT account name";
  const prefix = CENTER_CLIENT_ID_PREFIXES.find((p) => deviceId.startsWith(p));
  return prefix ? `it starts with ${prefix}, as the client ids of the centre's own MQTT connections do` : null;
}

const notFound = (deviceId: string) => new DeviceRegistryError('DEVICE_NOT_FOUND', `no device ${deviceId}`);

function toInfo(fields: Record<string, string>): DeviceInfo | null {
  if (!fields.deviceId) return null;
  const info: DeviceInfo = { deviceId: fields.deviceId, createdAt: fields.createdAt, revokedAt: fields.revokedAt ?? null };
  if (fields.lastSeenAt) info.lastSeenAt = fields.lastSeenAt;
  if (fields.rotatedAt) info.rotatedAt = fields.rotatedAt;
  return info;
}

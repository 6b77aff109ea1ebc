/**
 * The last word of every device, in Redis hashes, for the API's health pages: last status, last
 * telemetry, last config report, last model report, last reading per sensor, and when the device
 * was last heard of.
 * Usable on its own (the API needs no Ingest): `new DeviceStateStore(redis, cfg.redisPrefix)`.
 */
import type { RedisClient } from '../../common/redis.js';
import type { ConfigReportedMessage, ModelReportedMessage, SensorMessage, StatusMessage, TelemetryMessage } from '../../contract/index.js';

export interface Received<T> {
  message: T;
  /** When the centre received it, ISO. */
  receivedAt: string;
}

export interface DeviceSeen {
  deviceId: string;
  lastSeenAt: string;
}

// Telemetry can arrive out of order (a box replays its spool after a reconnect; two ingest
// instances race), so only a newer `at` replaces what is stored. ISO strings of one fixed
// format compare like the times they denote. The ingest refuses an `at` far ahead of its clock
// (readDeviceMessage), which would otherwise outrank every real reading after it.
const NEWER_WINS_LUA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cjson.decode(cur)['message']['at'] > ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

const SEEN_WRITE_INTERVAL_MS = 1000;

export class DeviceStateStore {
  private readonly lastSeenWritten = new Map<string, number>();
  private readonly k: { status: string; telemetry: string; config: string; model: string; seen: string; sensors: (deviceId: string) => string };

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    const base = `${prefix}:ingest:device`;
    this.k = {
      status: `${base}:status`,
      telemetry: `${base}:telemetry`,
      config: `${base}:config-reported`,
      model: `${base}:model-reported`,
      seen: `${base}:seen`,
      sensors: (deviceId) => `${base}:sensors:${deviceId}`,
    };
  }

  /**
   * Last arrival wins, not newest `at`: the Last Will's `offline` carries the time of the connect
   * it was registered with, older than the `online` it must replace.
   */
  async recordStatus(msg: StatusMessage, receivedAt: Date): Promise<void> {
    await this.redis.hset(this.k.status, msg.deviceId, stamp(msg, receivedAt));
  }

  /** Returns false when a newer telemetry message was already stored. */
  async recordTelemetry(msg: TelemetryMessage, receivedAt: Date): Promise<boolean> {
    const res = await this.redis.eval(NEWER_WINS_LUA, 1, this.k.telemetry, msg.deviceId, stamp(msg, receivedAt), msg.at);
    return res === 1;
  }

  async recordConfigReported(msg: ConfigReportedMessage, receivedAt: Date): Promise<void> {
    await this.redis.hset(this.k.config, msg.deviceId, stamp(msg, receivedAt));
  }

  /** Last arrival wins, as for config reports: the box sends them in order through its spool. */
  async recordModelReported(msg: ModelReportedMessage, receivedAt: Date): Promise<void> {
    await this.redis.hset(this.k.model, msg.deviceId, stamp(msg, receivedAt));
  }

  async recordSensor(msg: SensorMessage, receivedAt: Date): Promise<void> {
    await this.redis.hset(this.k.sensors(msg.deviceId), msg.sensorId, stamp(msg, receivedAt));
  }

  /** Last-seen is for people watching the board: one write per device per second is plenty. */
  async markSeen(deviceId: string, at: Date): Promise<void> {
    const last = this.lastSeenWritten.get(deviceId);
    if (last !== undefined && at.getTime() - last < SEEN_WRITE_INTERVAL_MS) return;
    this.lastSeenWritten.set(deviceId, at.getTime());
    await this.redis.hset(this.k.seen, deviceId, at.toISOString());
  }

  lastStatus(deviceId: string): Promise<Received<StatusMessage> | null> {
    return this.get(this.k.status, deviceId);
  }

  lastTelemetry(deviceId: string): Promise<Received<TelemetryMessage> | null> {
    return this.get(this.k.telemetry, deviceId);
  }

  lastConfigReported(deviceId: string): Promise<Received<ConfigReportedMessage> | null> {
    return this.get(this.k.config, deviceId);
  }

  lastModelReported(deviceId: string): Promise<Received<ModelReportedMessage> | null> {
    return this.get(this.k.model, deviceId);
  }

  /** Last reading per sensor of the device, by sensorId. */
  async lastSensors(deviceId: string): Promise<Record<string, Received<SensorMessage>>> {
    const raw = await this.redis.hgetall(this.k.sensors(deviceId));
    return Object.fromEntries(Object.entries(raw).map(([id, v]) => [id, JSON.parse(v) as Received<SensorMessage>]));
  }

  /** Every device that sent a valid message, with when it last did, by deviceId. */
  async devicesSeen(): Promise<DeviceSeen[]> {
    const raw = await this.redis.hgetall(this.k.seen);
    return Object.entries(raw)
      .map(([deviceId, lastSeenAt]) => ({ deviceId, lastSeenAt }))
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  private async get<T>(key: string, deviceId: string): Promise<Received<T> | null> {
    const raw = await this.redis.hget(key, deviceId);
    return raw ? (JSON.parse(raw) as Received<T>) : null;
  }
}

const stamp = <T>(message: T, receivedAt: Date): string => JSON.stringify({ message, receivedAt: receivedAt.toISOString() } satisfies Received<T>);

/**
 * Tests only: what the device-config API tests share — Redis on a throw-away prefix, the desired
 * config and device state stores on it, an embedded broker with one client, and the service that
 * publishes desired configs through it. `stop` deletes the keys and closes everything.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { startAedes, type AedesHandle } from '../../test/helpers/aedes-broker.js';
import { deleteKeys } from '../../test/helpers/redis-keys.js';
import { DesiredConfigStore } from '../devices/desired-config-store.js';
import { deviceConfigService } from '../devices/device-config-service.js';
import { DeviceStateStore } from '../ingest/device-state.js';
import type { LiveEvent } from '../live/live-events.js';
import type { DeviceConfigService } from './deps.js';
import { REDIS_URL } from './test-store.js';

export const ROOT = 'streetwatch/v1';

export interface DeviceConfigRig {
  redis: Redis;
  prefix: string;
  desired: DesiredConfigStore;
  deviceState: DeviceStateStore;
  /** Set by `start`. */
  broker: AedesHandle;
  mqtt: MqttClient;
  deviceConfig: DeviceConfigService;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function deviceConfigRig(label: string, opts: { now: () => number; publishLive?: (e: LiveEvent) => void }): DeviceConfigRig {
  const redis = new Redis(REDIS_URL);
  const prefix = `{${label}-${randomBytes(4).toString('hex')}}`;
  const rig: DeviceConfigRig = {
    redis,
    prefix,
    desired: new DesiredConfigStore(redis, prefix),
    deviceState: new DeviceStateStore(redis, prefix),
    broker: undefined as unknown as AedesHandle,
    mqtt: undefined as unknown as MqttClient,
    deviceConfig: undefined as unknown as DeviceConfigService,
    async start() {
      rig.broker = await startAedes();
      rig.mqtt = await connectAsync(rig.broker.url);
      rig.deviceConfig = deviceConfigService({
        desired: rig.desired, deviceState: rig.deviceState, mqtt: rig.mqtt, root: ROOT, publishLive: opts.publishLive ?? (() => undefined), now: opts.now,
      });
    },
    async stop() {
      await rig.mqtt.endAsync();
      await rig.broker.stop();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
  return rig;
}

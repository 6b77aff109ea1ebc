/**
 * Remote zone, settings and exempt plate changes: store the device's new desired config (version
 * bumped), publish it retained on `<root>/<device>/config/desired` so the box gets it now or at its
 * next connect, and tell the consoles. The box's answer arrives on `config/reported` through the ingest.
 */
import type { MqttClient } from 'mqtt';
import { DELIVERY, topics, type ConfigDesiredMessage } from '../../contract/index.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { DeviceConfigService } from '../http/deps.js';
import type { DesiredConfig, DesiredConfigStore } from './desired-config-store.js';
import { ApiError } from '../http/errors.js';
import type { LiveEvent } from '../live/live-events.js';

/** How long a write waits for the broker's PUBACK before telling the user it did not get through. */
const PUBLISH_TIMEOUT_MS = 5000;

export interface DeviceConfigServiceDeps {
  desired: DesiredConfigStore;
  deviceState: DeviceStateStore;
  mqtt: MqttClient;
  root: string;
  publishLive: (event: LiveEvent) => void;
  now: () => number;
}

export function deviceConfigService(d: DeviceConfigServiceDeps): DeviceConfigService {
  const publishRetained = async (deviceId: string, msg: ConfigDesiredMessage): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(504, 'BROKER_TIMEOUT', `saved as version ${msg.version}, but the broker did not confirm within ${PUBLISH_TIMEOUT_MS / 1000} s; it is sent once the centre reconnects`)), PUBLISH_TIMEOUT_MS);
    });
    try {
      await Promise.race([d.mqtt.publishAsync(topics.configDesired(d.root, deviceId), JSON.stringify(msg), DELIVERY.configDesired), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** Stores a change (version above what the box reported), publishes it retained, tells the consoles. */
  const write = async (deviceId: string, by: string, store: (opts: { by: string; nowIso: string; floorVersion: number }) => Promise<DesiredConfig>) => {
    const reported = await d.deviceState.lastConfigReported(deviceId);
    const desired = await store({ by, nowIso: new Date(d.now()).toISOString(), floorVersion: reported?.message.version ?? 0 });
    await publishRetained(deviceId, { v: 1, version: desired.version, issuedAt: desired.issuedAt, config: desired.config });
    d.publishLive({ kind: 'config_desired', deviceId, desired });
    return desired;
  };

  return {
    async get(deviceId) {
      const [desired, reported] = await Promise.all([d.desired.get(deviceId), d.deviceState.lastConfigReported(deviceId)]);
      return { desired, reported };
    },
    setCameraZones: (deviceId, cameraId, zones, by) => write(deviceId, by, (opts) => d.desired.setCameraZones(deviceId, cameraId, zones, opts)),
    setSettings: (deviceId, settings, by) => write(deviceId, by, (opts) => d.desired.setSettings(deviceId, settings, opts)),
    setExemptPlates: (deviceId, plates, by) => write(deviceId, by, (opts) => d.desired.setExemptPlates(deviceId, plates, opts)),
  };
}

/** The device list the API serves: the registry joined with what each box last reported. */
import type { DeviceRegistry } from '../../broker/device-registry.js';
import type { DeviceStateStore } from '../ingest/device-state.js';

export async function listDevices(registry: Pick<DeviceRegistry, 'list'>, deviceState: DeviceStateStore) {
  const [known, seen] = await Promise.all([registry.list(), deviceState.devicesSeen()]);
  const lastSeen = new Map(seen.map((s) => [s.deviceId, s.lastSeenAt]));
  return Promise.all(known.map(async (d) => ({
    deviceId: d.deviceId,
    revokedAt: d.revokedAt,
    lastSeenAt: lastSeen.get(d.deviceId) ?? d.lastSeenAt ?? null,
    status: (await deviceState.lastStatus(d.deviceId))?.message ?? null,
    telemetry: (await deviceState.lastTelemetry(d.deviceId))?.message ?? null,
    model: (await deviceState.lastModelReported(d.deviceId))?.message ?? null,
  })));
}

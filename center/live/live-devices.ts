/**
 * Device status, telemetry and config reports for the console's live stream, heard straight from
 * the broker by each API process (a plain, non-shared subscription: every API process needs them
 * all, unlike the ingest's shared group). Only messages that pass the contract, read as the ingest
 * reads them, are passed on; the ingest still stores them for the lists.
 */
import type { MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { configReportedMessage, parseTopic, readDeviceMessage, statusMessage, telemetryMessage, type TopicKind } from '../../contract/index.js';
import type { LiveEvent } from './live-events.js';

const WATCHED: Partial<Record<TopicKind, { schema: z.ZodType<{ deviceId: string }>; field: 'status' | 'telemetry' | 'configReported' }>> = {
  status: { schema: statusMessage, field: 'status' },
  telemetry: { schema: telemetryMessage, field: 'telemetry' },
  config_reported: { schema: configReportedMessage, field: 'configReported' },
};

export const deviceFilters = (root: string): string[] => [`${root}/+/status`, `${root}/+/telemetry`, `${root}/+/config/reported`];

/** Pure: the live event a device message makes, or null for anything else or anything the ingest would refuse. */
export function deviceEvent(root: string, topic: string, payload: Buffer, receivedAt: Date): LiveEvent | null {
  const route = parseTopic(root, topic);
  const watched = route ? WATCHED[route.kind] : undefined;
  if (!route || !watched || payload.length === 0) return null;
  const msg = readDeviceMessage(payload, watched.schema, receivedAt);
  if (!msg.ok || msg.value.deviceId !== route.deviceId) return null;
  return { kind: 'device', deviceId: route.deviceId, receivedAt: receivedAt.toISOString(), [watched.field]: msg.value } as LiveEvent;
}

export async function watchDevices(mqtt: MqttClient, root: string, emit: (event: LiveEvent) => void, logger: Logger): Promise<void> {
  // mqtt.js calls this inside its packet handling: an exception here would be uncaught and end
  // the process, so whatever one message does wrong stays with that message.
  mqtt.on('message', (topic, payload) => {
    try {
      const event = deviceEvent(root, topic, payload, new Date());
      if (event) emit(event);
    } catch (err) {
      logger.error({ err, topic, bytes: payload.length }, 'console: device message dropped');
    }
  });
  const granted = await mqtt.subscribeAsync(deviceFilters(root), { qos: 0 });
  const refused = granted.filter((g) => g.qos > 2).map((g) => g.topic);
  if (refused.length) logger.warn({ refused }, 'console: broker refused device subscriptions; device screens update on reload only');
}

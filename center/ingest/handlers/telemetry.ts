import { telemetryMessage } from '../../../contract/index.js';
import { telemetryPoints } from '../../metrics/points.js';
import { checkDevice, parsePayload } from '../rejection.js';
import type { Handler } from './types.js';

/** Kept as the device's last telemetry (newest `at` wins) and written to metrics. */
export const handleTelemetry: Handler = async (msg, ctx) => {
  const telemetry = parsePayload(msg.payload, telemetryMessage, 'telemetry', msg.receivedAt);
  checkDevice(msg.route, telemetry.deviceId);
  await ctx.devices.recordTelemetry(telemetry, msg.receivedAt);
  ctx.metrics.write(telemetryPoints(telemetry));
};

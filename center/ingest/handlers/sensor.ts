import { sensorMessage } from '../../../contract/index.js';
import { sensorPoint } from '../../metrics/points.js';
import { checkDevice, checkTopicField, parsePayload } from '../rejection.js';
import type { Handler } from './types.js';

/** A bay sensor republished by the box: kept as its last reading and written to metrics. */
export const handleSensor: Handler = async (msg, ctx) => {
  const reading = parsePayload(msg.payload, sensorMessage, 'sensor', msg.receivedAt);
  checkDevice(msg.route, reading.deviceId);
  checkTopicField('sensorId', msg.route.sensorId, reading.sensorId);
  await ctx.devices.recordSensor(reading, msg.receivedAt);
  ctx.metrics.write(sensorPoint(reading));
};

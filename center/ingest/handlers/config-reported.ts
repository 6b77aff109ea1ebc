import { configReportedMessage } from '../../../contract/index.js';
import { checkDevice, parsePayload } from '../rejection.js';
import type { Handler } from './types.js';

/** The box's answer to a desired config (applied/rejected): kept for the API. */
export const handleConfigReported: Handler = async (msg, ctx) => {
  const report = parsePayload(msg.payload, configReportedMessage, 'config reported', msg.receivedAt);
  checkDevice(msg.route, report.deviceId);
  await ctx.devices.recordConfigReported(report, msg.receivedAt);
};

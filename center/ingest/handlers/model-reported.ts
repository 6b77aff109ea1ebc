import { modelReportedMessage } from '../../../contract/index.js';
import { checkDevice, parsePayload } from '../rejection.js';
import type { Handler } from './types.js';

/** The box's running model and how its last update went: kept for the API's device view. */
export const handleModelReported: Handler = async (msg, ctx) => {
  const report = parsePayload(msg.payload, modelReportedMessage, 'model reported', msg.receivedAt);
  checkDevice(msg.route, report.deviceId);
  await ctx.devices.recordModelReported(report, msg.receivedAt);
};

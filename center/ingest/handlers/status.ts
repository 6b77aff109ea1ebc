import { statusMessage } from '../../../contract/index.js';
import { checkDevice, parsePayload } from '../rejection.js';
import type { Handler } from './types.js';

/** Retained online/offline (and the Last Will): kept as the device's last status. */
export const handleStatus: Handler = async (msg, ctx) => {
  const status = parsePayload(msg.payload, statusMessage, 'status', msg.receivedAt);
  checkDevice(msg.route, status.deviceId);
  await ctx.devices.recordStatus(status, msg.receivedAt);
};

/**
 * Edge boxes as the HTTP API lists them (`GET /api/devices`) and the console's health view reads
 * them: the broker registry's entry plus the last messages the box sent about itself.
 */
import { z } from 'zod';
import { id, isoTime } from './fields.js';
import { modelReportedMessage, statusMessage, telemetryMessage } from './messages.js';

export const deviceListItem = z
  .object({
    deviceId: id,
    revokedAt: isoTime.nullable(),
    /** The last message heard from it, or the broker's last login; null: never. */
    lastSeenAt: isoTime.nullable(),
    /** The last retained status, as ingested. */
    status: statusMessage.nullable(),
    telemetry: telemetryMessage.nullable(),
    /** The last `model/reported`: the model it runs and how its last update went. */
    model: modelReportedMessage.nullable().optional(),
  })
  .meta({ id: 'DeviceListItem' });

export type DeviceListItem = z.output<typeof deviceListItem>;

/**
 * Edge boxes as the HTTP API serves them to the console: the list (`GET /api/devices`), the
 * broker registry's entry plus the last messages each box sent about itself, and one box's remote
 * config (`GET /api/devices/<id>/config`), what the centre sent it and what it answered.
 */
import { z } from 'zod';
import { id, isoTime } from './fields.js';
import { configReportedMessage, modelReportedMessage, statusMessage, telemetryMessage } from './messages.js';
import { cameraZones, exemptPlates, privacySettings, telemetrySettings } from './zones.js';

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

/**
 * What the centre last sent a box as `config/desired` and who sent it, kept by the centre (one per
 * box). It holds every camera sent so far: the retained message replaces the box's previous one.
 */
export const desiredConfig = z
  .object({
    version: z.number().int().min(1),
    issuedAt: isoTime,
    /** The user who sent it. */
    by: z.string(),
    config: z.object({
      cameras: z.array(cameraZones),
      privacy: privacySettings.optional(),
      telemetry: telemetrySettings.optional(),
      exemptPlates: exemptPlates.optional(),
    }),
  })
  .meta({ id: 'DesiredConfig' });

export const deviceConfig = z
  .object({
    /** Null before the first remote edit. */
    desired: desiredConfig.nullable(),
    /** The box's last `config/reported`, as ingested. */
    reported: z.object({ message: configReportedMessage, receivedAt: isoTime }).nullable(),
  })
  .meta({ id: 'DeviceConfig' });

export type DeviceListItem = z.output<typeof deviceListItem>;
export type DesiredConfig = z.output<typeof desiredConfig>;
export type DeviceConfig = z.output<typeof deviceConfig>;

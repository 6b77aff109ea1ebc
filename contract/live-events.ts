/**
 * The console's live stream (`GET /api/events`, server-sent events): what changed since it
 * loaded, so that it need not poll. Produced by the centre's API, ingest and workers.
 */
import { z } from 'zod';
import { id, isoTime } from './fields.js';
import { configReportedMessage, statusMessage, telemetryMessage } from './messages.js';
import { desiredConfig } from './devices.js';
import { workOrderSchema } from './work-orders.js';

export const liveEvent = z
  .discriminatedUnion('kind', [
    /** An order was created or changed (review items are orders in `pending_review`). */
    z.object({ kind: z.literal('order'), order: workOrderSchema }),
    /** A box said something about itself; `receivedAt` is when the centre heard it. */
    z.object({
      kind: z.literal('device'),
      deviceId: id,
      receivedAt: isoTime,
      status: statusMessage.optional(),
      telemetry: telemetryMessage.optional(),
      configReported: configReportedMessage.optional(),
    }),
    /** Someone sent a box new zones or settings. */
    z.object({ kind: z.literal('config_desired'), deviceId: id, desired: desiredConfig }),
  ])
  .meta({ id: 'LiveEvent' });

export type LiveEvent = z.output<typeof liveEvent>;

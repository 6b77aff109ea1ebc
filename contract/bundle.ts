/**
 * The provisioning bundle: what the centre hands an installer for one box (`streetwatch device add
 * --bundle`) and what the box turns into its edge config (`streetwatch edge init`). It holds the
 * device's broker password, so it is written with mode 0600 and should be deleted once used.
 */
import { z } from 'zod';
import { id, isoTime } from './fields.js';

export const EDGE_BUNDLE_KIND = 'streetwatch-edge-bundle';

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+?\r?\n-----END CERTIFICATE-----\s*$/;

export const edgeBundleSchema = z
  .object({
    kind: z.literal(EDGE_BUNDLE_KIND),
    v: z.literal(1),
    deviceId: id,
    mqtt: z.object({
      url: z.url({ protocol: /^(mqtts?|wss?|tcp)$/, error: 'must be an mqtt://, mqtts://, tcp://, ws:// or wss:// URL' }),
      username: z.string().min(1),
      password: z.string().min(1),
      /** The certificate the box trusts for a TLS broker (a self-signed server certificate or its CA). */
      caPem: z.string().regex(PEM_CERTIFICATE, 'must be one PEM certificate').optional(),
      rootTopic: z.string().min(1),
    }),
    /** The centre's HTTP API; the box checks its clock against `/healthz`. */
    centerUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    /** The centre's time zone, the box's default for zone schedules. */
    timezone: z.string().min(1).optional(),
    createdAt: isoTime,
  })
  // The broker maps a device's login to its topics by username, so the two must agree.
  .refine((b) => b.mqtt.username === b.deviceId, { path: ['mqtt', 'username'], message: 'must equal deviceId' });

export type EdgeBundle = z.output<typeof edgeBundleSchema>;

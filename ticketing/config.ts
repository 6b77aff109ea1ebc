import { z } from 'zod';
import { loadConfigFile, resolveFromConfig } from '../common/config-file.js';
import { DEFAULT_CENTRE_USERNAME, DEFAULT_ROOT, ID_PATTERN } from '../contract/index.js';

const id = z.string().regex(ID_PATTERN, 'may use letters, digits, _ . - only (1-64 characters)');
const unit = z.number().min(0).max(1);
const secret = z.string().min(8, 'a secret needs at least 8 characters');

/** An IANA zone the runtime knows (Intl throws RangeError for anything else). */
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Asia/Shanghai');

export const webhookSchema = z.object({
  url: z.string().url(),
  /** HMAC-SHA256 key for `X-StreetWatch-Signature`. */
  secret,
});

export const teamSchema = z.object({
  id,
  name: z.string().optional(),
  webhook: webhookSchema.optional(),
  /** Told of yellow/red SLA escalations (plates masked). */
  supervisorWebhook: webhookSchema.optional(),
  officers: z.array(z.object({ id, name: z.string().optional(), onDuty: z.boolean().default(true) })).default([]),
});

const violationThresholds = z.object({ illegal_parking: unit.optional(), street_vending: unit.optional() });

/** A user's role; `users` below says what each may do. */
export const role = z.enum(['operator', 'officer', 'admin']);

export const centerConfigSchema = z
  .object({
    rootTopic: z.string().default(DEFAULT_ROOT),
    /** The centre's time zone: the console shows times and day-by-day KPIs in it. */
    timezone: timeZone.default('Asia/Shanghai'),
    redisUrl: z.string().default('redis://127.0.0.1:6379'),
    /** Evidence photos (content-addressed); share it between ingest instances. */
    dataDir: z.string().default('./data'),
    /** Photos are deleted this many days after their order closed (or arrived, if no order has them); none: kept. */
    evidenceRetentionDays: z.number().positive().optional(),
    /** Prefix of every Redis key; the braces make one Redis Cluster hash slot. */
    redisPrefix: z.string().regex(/^\{[A-Za-z0-9_-]+\}$/, 'must be a hash tag like {sw}').default('{sw}'),
    mqtt: z
      .object({
        /** Embedded broker (aedes); ignored when `url` points at an external broker. */
        port: z.number().int().min(0).max(65535).default(1884),
        host: z.string().default('0.0.0.0'),
        wsPort: z.number().int().min(0).max(65535).optional(),
        tls: z.object({ port: z.number().int().min(0).max(65535).default(8883), keyFile: z.string(), certFile: z.string() }).optional(),
        /** External broker (Mosquitto, EMQX): the centre connects instead of embedding aedes. */
        url: z.string().optional(),
        /** The centre's own account on the broker (separate from devices). */
        username: z.string().default(DEFAULT_CENTRE_USERNAME),
        /** Empty counts as unset (`${CENTER_MQTT_PASSWORD:-}`): the embedded broker then makes a random one. */
        password: z.string().optional().transform((v) => v || undefined),
        /** MQTT 5 shared subscription group for several ingest instances. */
        shareGroup: z.string().default('streetwatch'),
        /** External broker: ingest connections per process in the shared group (each handles one message at a time). */
        ingestConnections: z.number().int().min(1).max(32).default(4),
        maxMessageBytes: z.number().int().positive().default(4 * 1024 * 1024),
      })
      .prefault({}),
    http: z
      .object({
        port: z.number().int().min(0).max(65535).default(8080),
        host: z.string().default('0.0.0.0'),
        /** How clients reach the API; used in media_url links. */
        publicUrl: z.string().url().optional(),
        /** Signs evidence links (media_url) so they can be shared without a token. */
        linkSecret: secret.default('change-me-link-secret'),
        linkTtlMinutes: z.number().positive().default(24 * 60),
      })
      .prefault({}),
    /** API tokens and their roles (operator reviews; officer handles orders; admin all). */
    users: z
      .array(z.object({ name: id, role, token: z.string().min(16, 'tokens need at least 16 characters'), officerId: id.optional() }))
      .default([]),
    sla: z
      .object({
        targetMinutes: z.number().positive().default(40),
        /** Fractions of the target at which the order turns yellow and red. */
        yellowAt: unit.default(0.5),
        redAt: z.number().positive().default(1),
      })
      .prefault({}),
    confirmation: z
      .object({
        /** Auto-confirm at or above these confidences; below, the detection waits for an operator. */
        autoConfirm: violationThresholds.default({ illegal_parking: 0.6, street_vending: 0.7 }),
        /** Per camera (`<deviceId>/<cameraId>`) overrides. */
        cameras: z.record(z.string(), violationThresholds).default({}),
      })
      .prefault({}),
    dedupe: z
      .object({
        iou: unit.default(0.5),
        /** Same plate at the same camera within this window merges into the open order. */
        plateWindowMinutes: z.number().positive().default(120),
      })
      .prefault({}),
    cameras: z
      .array(z.object({
        deviceId: id,
        cameraId: id,
        /** What operators call the camera (console labels); default `<deviceId>/<cameraId>`. */
        name: z.string().min(1).max(80).optional(),
        location: z.object({ lat: z.number().min(-90).max(90), long: z.number().min(-180).max(180), address: z.string().optional() }),
        team: id.optional(),
      }))
      .default([]),
    teams: z.array(teamSchema).min(1, 'at least one team is required'),
    defaultTeam: id,
    /** Zone → team; a zone not listed goes to its camera's team, else defaultTeam. */
    zones: z.array(z.object({ deviceId: id, cameraId: id, zoneId: id, team: id })).default([]),
    influx: z
      .object({
        url: z.string().url(),
        org: z.string(),
        bucket: z.string(),
        token: z.string().default(''),
        /** Points held while InfluxDB is unreachable; beyond this the oldest are dropped and counted. */
        maxBufferedPoints: z.number().int().positive().default(50_000),
        flushIntervalMs: z.number().int().positive().default(1000),
      })
      .optional(),
    dispatch: z
      .object({
        /** Webhook retries back off exponentially over at least this long before the order is flagged. */
        retryForMinutes: z.number().positive().default(30),
        timeoutMs: z.number().int().positive().default(5000),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const teams = new Set(cfg.teams.map((t) => t.id));
    if (!teams.has(cfg.defaultTeam)) ctx.addIssue({ code: 'custom', path: ['defaultTeam'], message: `no team ${cfg.defaultTeam}` });
    cfg.zones.forEach((z, i) => {
      if (!teams.has(z.team)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'team'], message: `no team ${z.team}` });
    });
    cfg.cameras.forEach((c, i) => {
      if (c.team && !teams.has(c.team)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'team'], message: `no team ${c.team}` });
    });
    cfg.users.forEach((u, i) => {
      if (u.role === 'officer' && !u.officerId) ctx.addIssue({ code: 'custom', path: ['users', i, 'officerId'], message: 'an officer user needs officerId' });
    });
  });

export type CenterConfig = z.output<typeof centerConfigSchema>;
export type TeamConfig = CenterConfig['teams'][number];
export type WebhookConfig = z.output<typeof webhookSchema>;
export type Role = z.output<typeof role>;

export function loadCenterConfig(file: string, env: NodeJS.ProcessEnv = process.env): CenterConfig {
  const cfg = loadConfigFile(centerConfigSchema, file, env);
  return {
    ...cfg,
    dataDir: resolveFromConfig(file, cfg.dataDir),
    mqtt: cfg.mqtt.tls ? { ...cfg.mqtt, tls: { ...cfg.mqtt.tls, keyFile: resolveFromConfig(file, cfg.mqtt.tls.keyFile), certFile: resolveFromConfig(file, cfg.mqtt.tls.certFile) } } : cfg.mqtt,
  };
}

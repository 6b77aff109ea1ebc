import { z } from 'zod';
import { loadConfigFile, resolveFromConfig } from '../common/config-file.js';
import { DEFAULT_CENTER_USERNAME, DEFAULT_ROOT, ID_PATTERN } from '../contract/index.js';

const id = z.string().regex(ID_PATTERN, 'may use letters, digits, _ . - only (1-64 characters)');
const unit = z.number().min(0).max(1);
const secret = z.string().min(8, 'a secret needs at least 8 characters');

/** The schema's link secret when none is set: public, so `streetwatch center` refuses it (public-secrets.ts). */
export const DEFAULT_LINK_SECRET = 'change-me-link-secret';

/** An IANA zone the runtime knows (Intl throws RangeError for anything else). */
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Asia/Shanghai');

export const webhookSchema = z.strictObject({
  url: z.string().url().describe('Where to POST.'),
  secret: secret.describe('Signs each body: HMAC-SHA256 in `X-StreetWatch-Signature`.'),
});

/** A point on the map (WGS 84). */
const latLong = z.strictObject({
  lat: z.number().min(-90).max(90).describe('Latitude.'),
  long: z.number().min(-180).max(180).describe('Longitude.'),
});

export const teamSchema = z.strictObject({
  id: id.describe('Team id.'),
  name: z.string().optional().describe('What the console shows.'),
  webhook: webhookSchema.optional().describe("Where the team's orders and notices go. None: the team gets the MQTT topic only."),
  supervisorWebhook: webhookSchema.optional().describe('Told of yellow and red SLA escalations, plate masked.'),
  officers: z
    .array(
      z.strictObject({
        id: id.describe('Officer id: what `users[].officerId` and the order\'s `assignee` name.'),
        name: z.string().optional().describe('What the console shows.'),
        onDuty: z.boolean().default(true).describe('Only officers on duty are assigned orders.'),
      }),
    )
    .default([])
    .describe('The roster, in the order ties are broken in.'),
  areas: z
    .array(
      z.strictObject({
        name: z.string().optional().describe('What the console shows.'),
        polygon: z.array(latLong).min(3, 'a polygon needs at least 3 corners').describe('Its corners, in order.'),
      }),
    )
    .optional()
    .describe("Where the team works: a reported problem inside one of its polygons goes to it (the first team listed wins); outside them all, to `defaultTeam`."),
});

const violationThresholds = z.strictObject({
  illegal_parking: unit.optional().describe('Threshold of `illegal_parking` detections.'),
  street_vending: unit.optional().describe('Threshold of `street_vending` detections.'),
  obstruction: unit.optional().describe('Threshold of `obstruction` detections (goods left with nobody tending them).'),
  overstay: unit.optional().describe('Threshold of `overstay` detections (past a time-limited zone\'s `maxStaySeconds`).'),
});

/**
 * A user's role: operators review and cancel; supervisors do what operators do, and reassign
 * orders, read the audit log and clear non-admins' sign-in lockouts; officers handle their orders;
 * inspectors report problems (POST /api/reports); admins do everything; `metrics` may only read `/metrics` (and manage its own password and tokens).
 */
export const role = z.enum(['operator', 'supervisor', 'officer', 'inspector', 'admin', 'metrics']);

/** Who wins when a user is in several mapped groups: the role furthest right. */
export const ROLE_RANK = ['metrics', 'officer', 'inspector', 'operator', 'supervisor', 'admin'] as const satisfies readonly z.output<typeof role>[];

const claimName = z.string().min(1).max(100);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const httpsUnlessLoopback = (what: string) =>
  z.string().url().refine((u) => { const url = new URL(u); return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)); }, `${what} must be https (http only on localhost, for tests)`);

export const oidcSchema = z.strictObject({
  name: z.string().trim().min(1).max(40).default('City SSO').describe('What the console\'s button says: "Sign in with <name>".'),
  issuer: httpsUnlessLoopback('the issuer').describe("The identity provider's issuer URL, https (http only on localhost, for tests); its discovery document is `<issuer>/.well-known/openid-configuration`."),
  clientId: z.string().min(1).describe('The client id the provider gave the centre.'),
  clientSecret: z.string().min(1, 'is required').describe('Its client secret (a confidential client); keep it out of the file with `${OIDC_CLIENT_SECRET}`.'),
  redirectUrl: httpsUnlessLoopback('the redirect URL')
    .optional()
    .describe('The redirect URI registered at the provider. Default: `http.publicUrl` + `/api/session/oidc/callback` (one of the two is required).'),
  scopes: z
    .array(z.string().regex(/^\S+$/, 'a scope is one word'))
    .default(['openid', 'profile', 'email', 'groups'])
    .refine((s) => s.includes('openid'), 'must include openid')
    .describe('Scopes asked for. `groups` is the scope some providers release group membership under (Keycloak with a `groups` client scope, Authentik, Dex); drop it where the provider refuses unknown scopes (Azure AD).'),
  usernameClaim: claimName.default('preferred_username').describe('Claim holding the user name (letters, digits, `_ . -`, 1-64 characters; see `stripDomain`).'),
  stripDomain: z.boolean().default(false).describe('Take the user name before an `@` (`jane@city.gov` → `jane`), for providers whose names are e-mail addresses (Azure AD). Only where one domain signs in.'),
  displayNameClaim: claimName.default('name').describe('Claim holding what the console shows; the user name when absent.'),
  groupsClaim: claimName.default('groups').describe('Claim holding the user\'s groups (an array of strings, or one string).'),
  roles: z
    .record(z.string().min(1), role)
    .refine((r) => Object.keys(r).length > 0, 'map at least one group to a role')
    .describe('Group → role. A user in several mapped groups gets the highest of their roles: admin > supervisor > operator > inspector > officer > metrics. A user in no mapped group is refused.'),
  teamClaim: claimName.optional().describe('Claim holding the user\'s team id (a team of `teams`). Ahead of `teams`.'),
  teams: z.record(z.string().min(1), id).default({}).describe('Group → team id, when no `teamClaim` gives one: the first group listed here that the user is in.'),
  officerIdClaim: claimName
    .optional()
    .describe('Claim holding an officer\'s id in `teams[].officers`. A user whose role is officer is refused without it.'),
});
export type OidcConfig = z.output<typeof oidcSchema>;

export const centerConfigSchema = z
  .strictObject({
    rootTopic: z.string().default(DEFAULT_ROOT).describe("MQTT topic root; the boxes' `mqtt.rootTopic` must match."),
    timezone: timeZone.default('Asia/Shanghai').describe('IANA time zone of the console\'s times and the day-by-day KPIs.'),
    redisUrl: z
      .string()
      .default('redis://127.0.0.1:6379')
      .describe('Redis for everything: work orders, queues, devices, broker sessions, dead letters, the ingest journal.'),
    redisCluster: z
      .strictObject({
        nodes: z
          .array(z.string().regex(/^rediss?:\/\/[^/]+$/, 'must be redis://[user:password@]host:port (or rediss:// for TLS)'))
          .min(1, 'name at least one node')
          .describe("Some of the cluster's nodes; the others are found from them. Name several: the centre needs one of them to start. The account and TLS of the first apply to all."),
        failoverRetryMs: z
          .number()
          .int()
          .positive()
          .default(20_000)
          .describe("How long a Redis command is retried while a master fails over to its replica; more than the cluster's `cluster-node-timeout` (15 s by default) plus its election."),
        replicaAckMs: z
          .number()
          .int()
          .min(0)
          .default(500)
          .describe(
            'A device message is acknowledged once a replica also holds it, waited for up to this long (Redis WAIT): replication is asynchronous, and a master killed before passing a message on would lose it. A master with no replica answering is not waited for (and is checked again every 5 s). 0: no wait.',
          ),
      })
      .optional()
      .describe('Redis Cluster instead of the single Redis of `redisUrl` (not used then). Every key shares the `redisPrefix` hash tag, so the centre lives on one shard of it: see the deployment guide.'),
    dataDir: z
      .string()
      .default('./data')
      .describe('Evidence photos, in `<dataDir>/evidence/` (content-addressed); relative to the config file. Ingest and API processes share it.'),
    evidenceRetentionDays: z
      .number()
      .positive()
      .optional()
      .describe('Photos are deleted this many days after their order closed (or arrived, if no order has them). None: kept.'),
    redisPrefix: z
      .string()
      .regex(/^\{[A-Za-z0-9_-]+\}$/, 'must be a hash tag like {sw}')
      .default('{sw}')
      .describe('Prefix of every Redis key; a hash tag, so all keys share one Redis Cluster slot.'),
    mqtt: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(1884).describe('Embedded broker (aedes), plain TCP.'),
        host: z.string().default('0.0.0.0').describe('Embedded broker bind address (all listeners).'),
        wsPort: z.number().int().min(0).max(65535).optional().describe('Embedded broker, MQTT over WebSocket. None: off.'),
        tls: z
          .strictObject({
            port: z.number().int().min(0).max(65535).default(8883).describe('Embedded broker, MQTT over TLS (1.2 or later).'),
            keyFile: z.string().describe('PEM private key, relative to the config file.'),
            certFile: z.string().describe('PEM certificate (chain), relative to the config file.'),
          })
          .optional()
          .describe('TLS listener of the embedded broker. None: off.'),
        url: z
          .string()
          .optional()
          .describe('External broker (Mosquitto, EMQX): when set, no embedded broker runs and the centre connects with MQTT 5.'),
        username: z.string().default(DEFAULT_CENTER_USERNAME).describe("The centre's own broker account (not a device)."),
        password: z
          .string()
          .optional()
          .transform((v) => v || undefined)
          .describe(
            "Its password. Embedded broker: a random one at each start when absent or empty (`${CENTER_MQTT_PASSWORD:-}`). External broker: the account's password.",
          ),
        shareGroup: z.string().default('streetwatch').describe('MQTT 5 shared-subscription group of the ingest instances (external broker).'),
        ingestConnections: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(16)
          .describe('External broker: ingest connections per process in the shared group. Each takes one message at a time (it acknowledges it once the ingest journal holds it), so they set how many journal writes are under way at once.'),
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024)
          .describe('Largest device payload: the embedded broker cuts the connection above it, the ingest dead-letters larger photos (`oversized`).'),
        httpAuth: z
          .strictObject({
            secret: z
              .string()
              .min(16, 'a broker secret needs at least 16 characters')
              .describe('Shared with the broker: it sends it as the `X-StreetWatch-Broker-Secret` header or the `secret` query parameter.'),
          })
          .optional()
          .describe(
            'External broker: the api role serves device login and ACL checks for EMQX 5 (HTTP authentication and authorization) and Mosquitto (mosquitto-go-auth HTTP backend) under `/broker-auth/`. None: not served.',
          ),
      })
      .prefault({}),
    http: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(8080).describe('HTTP API and console.'),
        host: z.string().default('0.0.0.0').describe('HTTP bind address.'),
        publicUrl: z
          .string()
          .url()
          .optional()
          .describe(
            "How clients reach the API: Open311 `media_url` links (without it, taken from the request's `Host`), model download links (needed for them), the default `centerUrl` of bundles.",
          ),
        linkSecret: secret
          .default(DEFAULT_LINK_SECRET)
          .describe('HMAC key of signed media and model links: a random 32+ character value (`openssl rand -hex 32`). The centre refuses to start with the default or an example\'s value unless run as the demo.'),
        linkTtlMinutes: z.number().positive().default(24 * 60).describe('How long a signed media link is valid.'),
        sessionIdleMinutes: z.number().positive().default(60).describe('A console session unused this long ends.'),
        sessionMaxHours: z.number().positive().default(12).describe('A console session ends this long after sign-in, however much it is used.'),
        signInLockout: z
          .strictObject({
            userFailures: z.number().int().positive().default(5).describe('Failed sign-ins as one user that lock that user out.'),
            addressFailures: z.number().int().positive().default(20).describe('Failed sign-ins from one address that lock that address out.'),
            minutes: z.number().positive().default(15).describe('How long failures are counted, and how long a lockout lasts unless an admin clears it.'),
          })
          .prefault({})
          .describe('Password guessing: failed sign-ins are counted per user and per address.'),
        trustedProxies: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Addresses or CIDR ranges (e.g. `10.0.0.0/8`) of the reverse proxies in front of the API. A request from one of them is taken to come from the client its `X-Forwarded-For` names, and over TLS when its `X-Forwarded-Proto` says https: rate limits, sign-in lockouts and the audit then see real clients, and session cookies are Secure. Empty: the socket\'s address is the client (headers are ignored, as anyone can send them).',
          ),
        rateLimit: z
          .strictObject({
            enabled: z.boolean().default(true).describe('Off: no request is rate limited (the sign-in lockout still applies).'),
            windowSeconds: z.number().int().positive().default(60).describe('The window requests are counted over.'),
            publicRequests: z
              .number()
              .int()
              .positive()
              .default(300)
              .describe('Requests per window from one address to the routes that need no sign-in: Open311, signed media and model links, sign-out, OpenID Connect redirects, the API description, the console page (not `/healthz` nor the broker\'s `/broker-auth/…` hooks).'),
            signInRequests: z
              .number()
              .int()
              .positive()
              .default(30)
              .describe('Sign-ins (`POST /api/session`) per window from one address, counted apart from the other public routes, on top of the sign-in lockout.'),
          })
          .prefault({})
          .describe(
            'Requests to the public routes, counted per client address in Redis (shared by every API process); over the limit they answer 429 with Retry-After. Behind a reverse proxy, list it in `http.trustedProxies`, or every client has the proxy\'s address.',
          ),
        oidc: oidcSchema
          .optional()
          .describe("Sign-in with the city's OpenID Connect identity provider, next to passwords. None: off."),
      })
      .prefault({}),
    users: z
      .array(
        z.strictObject({
          name: id.describe('Sign-in name, shown in audit trails.'),
          role: role.describe('Operators review and cancel; supervisors do what operators do, and reassign orders, read the audit log and clear non-admins\' sign-in lockouts; officers handle their orders; inspectors report problems; admins do everything; metrics may only read `/metrics`.'),
          token: z.string().min(16, 'tokens need at least 16 characters').describe('API token (`Authorization: Bearer`), also the console sign-in.'),
          officerId: id.optional().describe('Officers: their id in `teams[].officers`; required for the officer role.'),
        }),
      )
      .default([])
      .describe('API and console sign-in. Without users only the public routes answer.'),
    sla: z
      .strictObject({
        targetMinutes: z
          .number()
          .positive()
          .default(40)
          .describe("Target from the edge's `discoveredAt` to handled: `deadlineAt` = discovery + target."),
        yellowAt: unit.default(0.5).describe('Fraction of the target at which an open order turns yellow.'),
        redAt: z.number().positive().default(1).describe('Fraction of the target at which it turns red.'),
      })
      .prefault({}),
    verification: z
      .strictObject({
        windowSeconds: z
          .number()
          .int()
          .positive()
          .default(600)
          .describe(
            "How long after an officer resolves a camera order the centre waits for the box to see the problem leave: `left` in time → `verified`; still there → the order reopens (same team) and the supervisor is told. Allow for the zone's `leaveGraceSeconds` on the box and for a towed vehicle's time to go.",
          ),
      })
      .prefault({}),
    confirmation: z
      .strictObject({
        autoConfirm: violationThresholds
          .default({ illegal_parking: 0.6, street_vending: 0.7 })
          .describe(
            'Confidence at or above which a detection is dispatched without review; below, it waits for an operator. A type left out always waits.',
          ),
        cameras: z
          .record(z.string(), violationThresholds)
          .default({})
          .describe('Per-camera thresholds, keyed `<deviceId>/<cameraId>`, overriding `autoConfirm` per type (a type left out follows it).'),
      })
      .prefault({}),
    dedupe: z
      .strictObject({
        iou: unit
          .default(0.5)
          .describe('Box overlap at or above which a detection merges into an open order (same device, camera, zone and type).'),
        plateWindowMinutes: z
          .number()
          .positive()
          .default(120)
          .describe('The same plate at the same camera and zone within this window merges too.'),
      })
      .prefault({}),
    cameras: z
      .array(
        z.strictObject({
          deviceId: id.describe('The box.'),
          cameraId: id.describe('The camera, as the box names it.'),
          name: z.string().min(1).max(80).optional().describe('What operators call the camera (console labels); default `<deviceId>/<cameraId>`.'),
          location: z
            .strictObject({
              lat: z.number().min(-90).max(90).describe('Latitude.'),
              long: z.number().min(-180).max(180).describe('Longitude.'),
              address: z.string().optional().describe('Street address, shown in orders and Open311.'),
            })
            .describe("The order's `location`, and the camera's place on the console's plan."),
          team: id.optional().describe('Default team of its detections.'),
        }),
      )
      .default([])
      .describe("Where each camera is; an unlisted camera's orders have `location: null`."),
    teams: z.array(teamSchema).min(1, 'at least one team is required').describe('The enforcement teams.'),
    defaultTeam: id.describe('Team of detections no zone or camera mapping covers.'),
    zones: z
      .array(
        z.strictObject({
          deviceId: id.describe('The box.'),
          cameraId: id.describe('The camera.'),
          zoneId: id.describe('The zone, as the box names it.'),
          team: id.describe('The team its detections go to.'),
        }),
      )
      .default([])
      .describe("Zone → team, ahead of the camera's team."),
    influx: z
      .strictObject({
        url: z.string().url().describe('InfluxDB v2 (or VictoriaMetrics, which accepts the same write API).'),
        org: z.string().describe('Organisation the points go to.'),
        bucket: z.string().describe('Bucket the points go to.'),
        token: z.string().default('').describe('API token.'),
        maxBufferedPoints: z
          .number()
          .int()
          .positive()
          .default(50_000)
          .describe('Points held while InfluxDB is unreachable; beyond this the oldest are dropped and counted.'),
        flushIntervalMs: z.number().int().positive().default(1000).describe('Longest a point waits for a fuller batch.'),
      })
      .optional()
      .describe('Metrics to InfluxDB. None: no points are written.'),
    reports: z
      .strictObject({
        radiusMeters: z
          .number()
          .positive()
          .default(50)
          .describe('A report (Open311 or inspector) within this distance of an open order of the same type joins it instead of opening another; a camera detection this close to an open reported order merges into it.'),
        windowMinutes: z
          .number()
          .positive()
          .default(120)
          .describe('A report joins an open order only if discovered within this many minutes of it (and within `radiusMeters`); one that names a plate never joins an order with another plate.'),
        inspectorAutoConfirm: z.boolean().default(true).describe("Inspectors' reports are dispatched at once; false: they wait for review like an unsure detection."),
        maxPhotoBytes: z.number().int().positive().default(5 * 1024 * 1024).describe('Largest photo upload taken with a report (JPEG only).'),
      })
      .prefault({}),
    open311: z
      .strictObject({
        jurisdictionId: z.string().optional().describe('The city this endpoint serves: a POST naming another `jurisdiction_id` is refused. None: any is taken.'),
        contact: z.string().optional().describe('Who to contact about this endpoint (discovery `contact`).'),
        clients: z
          .array(
            z.strictObject({
              id: id.describe('Client id, kept with each of its reports.'),
              name: z.string().optional().describe('What the console and logs show (e.g. the 12345 hotline).'),
              apiKey: z.string().min(16, 'an API key needs at least 16 characters').describe('Sent as `api_key` with each POST; keep it out of the file with `${OPEN311_HOTLINE_KEY}`.'),
              callbackUrl: z.string().url().optional().describe('Where each change of an order it reported is POSTed (its service request as JSON). None: no callbacks.'),
              callbackSecret: secret.optional().describe('Signs each callback body: HMAC-SHA256 in `X-StreetWatch-Signature`. Required with `callbackUrl`.'),
              autoConfirm: z.boolean().default(false).describe('Its reports are dispatched at once (a trusted system such as the hotline); false: they wait for review.'),
              requestsPerWindow: z.number().int().positive().default(60).describe('POSTs allowed per `http.rateLimit.windowSeconds`; over it, 429.'),
            }),
          )
          .default([])
          .describe('Who may POST service requests. None: Open311 stays read-only.'),
      })
      .prefault({}),
    dispatch: z
      .strictObject({
        retryForMinutes: z
          .number()
          .positive()
          .default(30)
          .describe('A failing webhook is retried, backing off exponentially, for at least this long.'),
        timeoutMs: z.number().int().positive().default(5000).describe('Per webhook POST and per team-topic publish.'),
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
    const oidc = cfg.http.oidc;
    if (oidc && !oidc.redirectUrl && !cfg.http.publicUrl) {
      ctx.addIssue({ code: 'custom', path: ['http', 'oidc', 'redirectUrl'], message: 'set it, or http.publicUrl (the redirect URI is then <publicUrl>/api/session/oidc/callback)' });
    }
    for (const [group, team] of Object.entries(oidc?.teams ?? {})) {
      if (!teams.has(team)) ctx.addIssue({ code: 'custom', path: ['http', 'oidc', 'teams', group], message: `no team ${team}` });
    }
    const clients = cfg.open311.clients;
    clients.forEach((c, i) => {
      if (c.callbackUrl && !c.callbackSecret) ctx.addIssue({ code: 'custom', path: ['open311', 'clients', i, 'callbackSecret'], message: 'a callbackUrl needs a callbackSecret' });
      if (clients.findIndex((o) => o.id === c.id) !== i) ctx.addIssue({ code: 'custom', path: ['open311', 'clients', i, 'id'], message: `client ${c.id} is listed twice` });
      if (clients.findIndex((o) => o.apiKey === c.apiKey) !== i) ctx.addIssue({ code: 'custom', path: ['open311', 'clients', i, 'apiKey'], message: 'two clients share this API key' });
    });
    cfg.users.forEach((u, i) => {
      if (u.role === 'officer' && !u.officerId) ctx.addIssue({ code: 'custom', path: ['users', i, 'officerId'], message: 'an officer user needs officerId' });
    });
  });

export type CenterConfig = z.output<typeof centerConfigSchema>;
export type TeamConfig = CenterConfig['teams'][number];
export type WebhookConfig = z.output<typeof webhookSchema>;
export type Open311Client = CenterConfig['open311']['clients'][number];
export type Role = z.output<typeof role>;

export function loadCenterConfig(file: string, env: NodeJS.ProcessEnv = process.env): CenterConfig {
  const cfg = loadConfigFile(centerConfigSchema, file, env);
  return {
    ...cfg,
    dataDir: resolveFromConfig(file, cfg.dataDir),
    mqtt: cfg.mqtt.tls ? { ...cfg.mqtt, tls: { ...cfg.mqtt.tls, keyFile: resolveFromConfig(file, cfg.mqtt.tls.keyFile), certFile: resolveFromConfig(file, cfg.mqtt.tls.certFile) } } : cfg.mqtt,
  };
}

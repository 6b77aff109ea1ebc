/**
 * What the HTTP API needs from the rest of the centre, as narrow injected interfaces: the API
 * never builds a store, queue or registry itself, so it can be wired (and tested) on its own.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ExternalAuth } from '../../broker/external-auth.js';
import { z } from 'zod';
import type { DeadLetter, DesiredConfig, DeviceConfig, DeviceListItem, ExemptPlate, ExemptPlateAuditLine, ExemptPlateEntry } from '../../contract/index.js';
import { role } from '../config.js';
import type { ReportIntake } from '../../ticketing/report-intake.js';
import type { WorkOrderStore } from '../../ticketing/store-types.js';
import type { WebPushService } from '../../ticketing/web-push.js';
import type { OrderState, UnableReason, WorkOrder } from '../../ticketing/work-order.js';
import type { LiveFeed } from '../live/live-events.js';
import type { ModelService } from '../devices/model-service.js';
import type { ExemptPlateInput } from '../devices/exempt-plate-store.js';
import type { RateLimitStore } from './rate-limit.js';
import type { UserServices } from '../users/services.js';
import type { Settings, Zone } from './zone-schema.js';

/** The signed-in caller, resolved from the bearer token or session. */
export const apiUser = z
  .object({
    name: z.string(),
    role,
    officerId: z.string().optional(),
    teams: z.array(z.string()).meta({ description: 'Teams whose roster lists this user\'s officerId, and the team of their account' }),
    displayName: z.string().optional().meta({ description: 'Accounts kept by the centre: what the console shows' }),
    mustChangePassword: z.literal(true).optional().meta({ description: 'Signed in with a one-time password: only changing it is allowed until then' }),
    oidc: z.literal(true).optional().meta({ description: 'Signs in through the identity provider: has no password here' }),
  })
  .meta({ id: 'ApiUser' });
export type ApiUser = z.output<typeof apiUser>;

export interface Page {
  offset: number;
  limit: number;
}

export interface DeadLetterSource {
  list(page: Page): Promise<{ items: DeadLetter[]; total: number }>;
  count(): Promise<number>;
}

export interface DeviceSource {
  list(): Promise<DeviceListItem[]>;
}

export interface EvidenceSource {
  /** File path of a stored JPEG, or null when it is not (or no longer) held. */
  path(sha256: string): string | null;
  /** Stores a JPEG (once per content); returns its sha256. */
  put(jpeg: Buffer): Promise<string>;
}

/**
 * The workflow layer: every write goes through it (not the store) because it also schedules
 * dispatch and SLA timers. Errors it throws: IllegalTransitionError, or a StreetWatchError whose
 * code names a stale state / missing order (see errors.ts for the mapping).
 */
export interface WorkflowActions {
  confirm(orderId: string, user: ApiUser): Promise<WorkOrder>;
  reject(orderId: string, user: ApiUser, reason: NonNullable<WorkOrder['rejection']>['reason'], note?: string): Promise<WorkOrder>;
  transition(orderId: string, to: OrderState, user: ApiUser, note?: string): Promise<WorkOrder>;
  /** The officer could not handle it (state `unable`), with why. */
  unable(orderId: string, user: ApiUser, reason: UnableReason, note?: string): Promise<WorkOrder>;
  /** Another team and/or officer (none: the workflow picks one of the team's once it is confirmed). */
  reassign(orderId: string, to: { team: string; assignee?: string }, user: ApiUser, note?: string): Promise<WorkOrder>;
}

export interface DeviceConfigService {
  get(deviceId: string): Promise<DeviceConfig>;
  /** Replaces one camera's zones in the device's desired config and publishes it to the box. */
  setCameraZones(deviceId: string, cameraId: string, zones: Zone[], by: string): Promise<DesiredConfig>;
  /** Merges box-wide settings (privacy, telemetry) into the device's desired config and publishes it. */
  setSettings(deviceId: string, settings: Settings, by: string): Promise<DesiredConfig>;
  /** Replaces the device's exempt plate list in its desired config and publishes it. */
  setExemptPlates(deviceId: string, plates: ExemptPlate[], by: string): Promise<DesiredConfig>;
}

export const healthReport = z.object({ ok: z.boolean(), checks: z.record(z.string(), z.boolean()).meta({ description: 'Each dependency, true when it answers' }) });
export type HealthReport = z.output<typeof healthReport>;

export interface ApiDeps {
  store: WorkOrderStore;
  deadLetters: DeadLetterSource;
  devices: DeviceSource;
  evidence: EvidenceSource;
  kpis: () => Promise<unknown>;
  actions: WorkflowActions;
  /** Prometheus text lines gathered elsewhere; the API appends its own HTTP counters. */
  metrics: () => string;
  health: () => Promise<HealthReport>;
  maskPlate: (text: string) => string;
  /** Accounts, sessions and sign-in lockouts (Redis). */
  users: UserServices;
  /** Where the public routes' rate-limit counts live; without it each process counts alone (memory). */
  rateLimitStore?: RateLimitStore;
  /** Defaults to Date.now; injected for link expiry and Open311 default windows in tests. */
  now?: () => number;
  /** People's reports into orders (Open311 POST, inspectors); without it those routes answer 503. */
  reports?: ReportIntake;
  /** Without one the API logs nothing. */
  logger?: FastifyBaseLogger;
  /** The console's live stream; without it `/api/events` is not served. */
  live?: LiveFeed;
  /** Remote zone edits; without it the device config routes are not served. */
  deviceConfig?: DeviceConfigService;
  /** The exempt plate list sent to every box; without it the exempt plate routes are not served. */
  exemptPlates?: ExemptPlateService;
  /** Over-the-air model updates; without it the model routes are not served. */
  models?: ModelService;
  /** The built console (index.html and assets); without it the console is not served. */
  consoleDir?: string;
  /** Web Push for the officer app; without it the push routes are not served. */
  push?: PushService;
  /** Login and ACL checks for an external broker, and the secret it must send; without it they are not served. */
  brokerAuth?: { secret: string; auth: Pick<ExternalAuth, 'login' | 'access'> };
}

/** The officer app's Web Push subscriptions (ticketing/web-push.ts). */
export type PushService = Pick<WebPushService, 'keys' | 'subscribe' | 'unsubscribe'>;

/** A box the change was sent to, and the desired config version it now has. */
export interface SentConfig {
  deviceId: string;
  version: number;
}

export interface ExemptPlateService {
  /** Plates still valid now, sorted. */
  list(): Promise<ExemptPlateEntry[]>;
  /** Adds or replaces a plate, then sends the list to every active box. */
  put(input: ExemptPlateInput, by: string): Promise<{ entry: ExemptPlateEntry; sent: SentConfig[] }>;
  /** Removes a plate, then sends the list; null when it was not on the list (nothing sent). */
  remove(plate: string, by: string): Promise<{ sent: SentConfig[] } | null>;
  audit(limit: number): Promise<ExemptPlateAuditLine[]>;
  /**
   * Sends the list to each active box whose desired config does not carry it (registered since the
   * last change, or an entry expired since); returns those sent to.
   */
  catchUp(): Promise<SentConfig[]>;
}

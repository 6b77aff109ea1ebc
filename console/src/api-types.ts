/**
 * The JSON the console reads from the centre's HTTP API. What the contract describes (orders,
 * KPIs, devices and their config, exempt plates, live events, zones) is type-imported from contract/, whose
 * modules import only zod and each other: type imports are erased, so neither the centre's code
 * nor zod reaches the browser bundle. Declared here: the session and settings routes' own shapes.
 */
import type { CameraState as ReportedCameraState, ViolationType } from '../../contract/messages';
import type { Location, RejectReason, UnableReason } from '../../contract/work-orders';

export type { DesiredConfig, DeviceConfig, DeviceListItem as Device } from '../../contract/devices';
export type { ExemptPlateAuditLine, ExemptPlateEntry } from '../../contract/exempt-plates';
export type { KpiGroup, KpiSeries } from '../../contract/kpis';
export type { LiveEvent } from '../../contract/live-events';
export type { ViolationType, ZoneModelTelemetry } from '../../contract/messages';
export type { Location, OrderState, RejectReason, SlaLevel, UnableReason, WorkOrder } from '../../contract/work-orders';
export type { Zone } from '../../contract/zones';

export type Role = 'operator' | 'supervisor' | 'officer' | 'inspector' | 'admin' | 'metrics';

export interface User {
  name: string;
  role: Role;
  officerId?: string;
  teams: string[];
  /** Accounts kept by the centre (users of the config file have none). */
  displayName?: string;
  /** Signed in with a one-time password: nothing but changing it is allowed. */
  mustChangePassword?: true;
  /** Signs in through the identity provider: no password here to change. */
  oidc?: true;
}

/** An account kept by the centre, as `GET /api/users` lists it. */
export interface UserAccount {
  name: string;
  displayName: string;
  role: Role;
  team?: string;
  officerId?: string;
  createdAt: string;
  createdBy: string;
  disabledAt?: string;
  /** `oidc`: signs in through the city's identity provider and has no password here. */
  source: 'password' | 'oidc';
  mustChangePassword: boolean;
  lockedUntil: string | null;
}

/** GET /api/session/options: whether the sign-in page offers the identity provider's button. */
export interface SignInOptions {
  oidc: { name: string; url: string } | null;
}

export interface Settings {
  timezone: string;
  sla: { targetMinutes: number; yellowAt: number; redAt: number };
  cameras: Array<{ deviceId: string; cameraId: string; name: string | null; location: Location; team: string | null }>;
  teams: Array<{ id: string; name: string | null; officers: Array<{ id: string; name: string | null; onDuty: boolean }> }>;
  rejectReasons: RejectReason[];
  unableReasons: UnableReason[];
  /** What POST /api/reports takes, and who may send it. */
  reportTypes: ViolationType[];
  reporterRoles: Role[];
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/** A camera's stream as its box reports it; `unknown` is the console's own: nothing reported. */
export type CameraState = ReportedCameraState | 'unknown';

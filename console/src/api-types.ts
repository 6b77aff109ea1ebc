/**
 * The JSON the console reads from the centre's HTTP API — the fields it uses, as the API sends
 * them (ticketing/work-order.ts, ticketing/kpi.ts, ticketing/api/*). The console is a client of
 * the HTTP API like any other, so it states its own view of the shapes instead of importing the
 * server's modules (and their Node dependencies) into the browser bundle.
 */
export type Role = 'operator' | 'officer' | 'admin';
export type ViolationType = 'illegal_parking' | 'street_vending';
export type OrderState = 'pending_review' | 'dispatched' | 'accepted' | 'on_site' | 'resolved' | 'rejected' | 'self_cleared' | 'cancelled';
export type SlaLevel = 'green' | 'yellow' | 'red';
export type RejectReason = 'not_a_violation' | 'wrong_class' | 'outside_zone' | 'duplicate' | 'other';

export interface User {
  name: string;
  role: Role;
  officerId?: string;
  teams: string[];
}

export interface Location {
  lat: number;
  long: number;
  address?: string;
}

export interface Settings {
  timezone: string;
  sla: { targetMinutes: number; yellowAt: number; redAt: number };
  cameras: Array<{ deviceId: string; cameraId: string; name: string | null; location: Location; team: string | null }>;
  teams: Array<{ id: string; name: string | null; officers: Array<{ id: string; name: string | null; onDuty: boolean }> }>;
  rejectReasons: RejectReason[];
}

export interface EvidenceRef {
  evidenceId: string;
  sha256: string;
  capturedAt: string;
  kind: 'full' | 'crop' | 'plate';
}

export interface AuditEntry {
  at: string;
  by: string;
  from: OrderState | null;
  to: OrderState;
  note?: string;
}

export interface WorkOrder {
  id: string;
  type: ViolationType;
  state: OrderState;
  deviceId: string;
  cameraId: string;
  zoneId: string;
  team: string;
  assignee: string | null;
  location: Location | null;
  evidence: EvidenceRef[];
  label: string;
  confidence: number;
  plate: { text: string; confidence: number; readAt: string; type?: string } | null;
  discoveredAt: string;
  updatedAt: string;
  deadlineAt: string;
  stateTimes: Partial<Record<OrderState, string>>;
  sla: SlaLevel;
  edgeEnded: { reason: 'left' | 'source_ended' | 'camera_lost'; at: string } | null;
  rejection: { reason: RejectReason; note?: string } | null;
  audit: AuditEntry[];
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/** A camera's stream as its box reports it; `unknown` is the console's own: nothing reported. */
export type CameraState = 'connecting' | 'connected' | 'stalled' | 'reconnecting' | 'ended' | 'error' | 'disabled' | 'unknown';

export interface CameraTelemetry {
  cameraId: string;
  state: CameraState;
  fps: number;
  inferenceMs: number;
  /** ffmpeg's CPU for this camera, % of one core; absent from boxes without /proc. */
  decodeCpuPercent?: number;
  skippedFrames: number;
  droppedFrames: number;
  lastFrameAt: string | null;
  openDetections: number;
}

export interface StatusMessage {
  deviceId: string;
  state: 'online' | 'offline';
  at: string;
  version?: string;
  reason?: 'shutdown' | 'last_will';
  cameras?: Array<{ cameraId: string; state: CameraState; message?: string }>;
}

export interface TelemetryMessage {
  deviceId: string;
  at: string;
  cameras: CameraTelemetry[];
  system: { cpuPercent: number; rssMb: number; memFreeMb: number; diskFreeMb: number; loadAvg1: number; uptimeSeconds: number };
  spool: { messages: number; bytes: number; dropped: number };
}

export interface ConfigReported {
  deviceId: string;
  version: number;
  status: 'applied' | 'rejected';
  at: string;
  error?: string;
  /** What the box runs now (its file, or what it applied): the editor starts from these zones. */
  running?: { cameras: Array<{ id: string; zones: Zone[] }> };
}

export interface Device {
  deviceId: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
  status: StatusMessage | null;
  telemetry: TelemetryMessage | null;
}

export interface Zone {
  id: string;
  kind: 'no_parking' | 'no_vending';
  polygon: Array<[number, number]>;
  dwellSeconds?: number;
  schedule?: Array<{ days?: string[]; from: string; to: string }>;
  /** Thresholds and class lists the editor does not show; kept as they are when zones are sent. */
  [setting: string]: unknown;
}

export interface DesiredConfig {
  version: number;
  issuedAt: string;
  by: string;
  config: { cameras: Array<{ id: string; zones: Zone[] }> };
}

export interface DeviceConfig {
  desired: DesiredConfig | null;
  reported: { message: ConfigReported; receivedAt: string } | null;
}

export interface DurationStats {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface KpiGroup {
  orders: number;
  open: number;
  closed: number;
  byState: Partial<Record<OrderState, number>>;
  discoveryToDispatch: DurationStats;
  dispatchToAccept: DurationStats;
  discoveryToResolve: DurationStats;
  slaJudged: number;
  slaMet: number;
  slaCompliance: number | null;
  selfClearedShare: number | null;
  rejectedShare: number | null;
}

export interface KpiSeries {
  timezone: string;
  bucket: 'hour' | 'day';
  buckets: Array<{ key: string; start: string; kpi: KpiGroup }>;
  overall: KpiGroup;
  byCamera: Record<string, KpiGroup>;
}

export type LiveEvent =
  | { kind: 'order'; order: WorkOrder }
  | { kind: 'device'; deviceId: string; receivedAt: string; status?: StatusMessage; telemetry?: TelemetryMessage; configReported?: ConfigReported }
  | { kind: 'config_desired'; deviceId: string; desired: DesiredConfig };

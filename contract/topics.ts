/**
 * MQTT topic layout, the one place that knows it. Every topic sits under a configurable root
 * (default `streetwatch/v1`) followed by the device id.
 */
export const DEFAULT_ROOT = 'streetwatch/v1';

/** Ids that appear as topic levels: no `/`, `+`, `#` or spaces. */
/** Not `.` or `..`: ids also name files and must not climb out of a folder. */
export const ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;

export type TopicKind =
  | 'status' | 'telemetry' | 'detections' | 'evidence' | 'sensors' | 'config_desired' | 'config_reported' | 'model_desired' | 'model_reported';

export interface ParsedTopic {
  kind: TopicKind;
  deviceId: string;
  cameraId?: string;
  evidenceId?: string;
  sensorId?: string;
}

export const topics = {
  status: (root: string, device: string) => `${root}/${device}/status`,
  telemetry: (root: string, device: string) => `${root}/${device}/telemetry`,
  detections: (root: string, device: string, camera: string) => `${root}/${device}/${camera}/detections`,
  evidence: (root: string, device: string, camera: string, evidenceId: string) =>
    `${root}/${device}/${camera}/evidence/${evidenceId}`,
  sensor: (root: string, device: string, sensorId: string) => `${root}/${device}/sensors/${sensorId}`,
  configDesired: (root: string, device: string) => `${root}/${device}/config/desired`,
  configReported: (root: string, device: string) => `${root}/${device}/config/reported`,
  /** Centre → box: the detector model to run (over-the-air update). */
  modelDesired: (root: string, device: string) => `${root}/${device}/model/desired`,
  modelReported: (root: string, device: string) => `${root}/${device}/model/reported`,
  /** Centre → officers' apps: work orders of a team. `teams` is therefore no device id. */
  teamOrders: (root: string, team: string) => `${root}/teams/${team}/orders`,
};

/** QoS 0 or 1: the contract uses no QoS 2 (the box's spool stores 0 or 1). */
export interface Delivery {
  qos: 0 | 1;
  retain: boolean;
}

/**
 * How each topic is published, read by every publisher (edge/outbox.ts; edge/mqtt-link.ts for the
 * status and its Last Will; the centre's dispatcher and its config and model services) and by the
 * AsyncAPI document, so the two cannot drift. QoS 1 wherever a loss matters; telemetry is QoS 0,
 * as the next reading replaces a lost one. Retained: the latest state, which a subscriber needs on
 * connecting (status, config and model, desired and reported); events (detections, evidence, sensor
 * readings, team orders) are not, so that an old one is never taken for news.
 */
export const DELIVERY = {
  status: { qos: 1, retain: true },
  telemetry: { qos: 0, retain: false },
  detections: { qos: 1, retain: false },
  evidence: { qos: 1, retain: false },
  sensor: { qos: 1, retain: false },
  configDesired: { qos: 1, retain: true },
  configReported: { qos: 1, retain: true },
  modelDesired: { qos: 1, retain: true },
  modelReported: { qos: 1, retain: true },
  teamOrders: { qos: 1, retain: false },
} as const satisfies Record<keyof typeof topics, Delivery>;

/**
 * A box's MQTT client id. Its session is clean on every connect (EDGE_CLEAN_SESSION): the box's
 * spool, not the broker, keeps what is unsent, and the box subscribes again itself on each connect.
 */
export const edgeClientId = (deviceId: string): string => `streetwatch-edge-${deviceId}`;
export const EDGE_CLEAN_SESSION = true;

/** Ids that would make a device's topics collide with the centre's own. */
export const RESERVED_DEVICE_IDS = ['teams'];

/** The centre's own MQTT account unless its config names another (`mqtt.username`). */
export const DEFAULT_CENTER_USERNAME = 'streetwatch-center';

/**
 * How the client ids of the centre's own MQTT connections begin (center/start.ts: worker,
 * ingest, api). A device named like one could pass for the centre's connection or take its session.
 */
export const CENTER_CLIENT_IDS = { worker: 'streetwatch-center-', ingest: 'streetwatch-ingest-', api: 'streetwatch-api-' } as const;
export const CENTER_CLIENT_ID_PREFIXES: readonly string[] = Object.values(CENTER_CLIENT_IDS);

/**
 * The centre's ingest subscription: everything under the root, so that a device publishing on a
 * topic outside the layout is heard and dead-lettered, never silently dropped. What the centre
 * publishes itself comes back on it too: see `publishedByCentre`.
 */
export const centerSubscriptions = (root: string) => [`${root}/#`];

/** The device a topic under the root belongs to (its first level), whether or not the rest is in the layout. */
export function deviceOf(root: string, topic: string): string | null {
  if (!topic.startsWith(`${root}/`)) return null;
  const first = topic.slice(root.length + 1).split('/', 1)[0];
  return ID_PATTERN.test(first) ? first : null;
}

/** Topics only the centre writes (desired config and model, team orders): not device messages. */
export function publishedByCenter(root: string, topic: string): boolean {
  const device = deviceOf(root, topic);
  if (device !== null && RESERVED_DEVICE_IDS.includes(device)) return true;
  const kind = parseTopic(root, topic)?.kind;
  return kind === 'config_desired' || kind === 'model_desired';
}

/** Inverse of `topics`: null for a topic outside the layout (the ingest dead-letters those). */
export function parseTopic(root: string, topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${root}/`)) return null;
  const parts = topic.slice(root.length + 1).split('/');
  if (!parts.every((p) => ID_PATTERN.test(p))) return null;
  const [deviceId, a, b, c] = parts;
  switch (parts.length) {
    case 2:
      if (a === 'status' || a === 'telemetry') return { kind: a, deviceId };
      return null;
    case 3:
      if (b === 'detections') return { kind: 'detections', deviceId, cameraId: a };
      if (a === 'sensors') return { kind: 'sensors', deviceId, sensorId: b };
      if (a === 'config' && b === 'desired') return { kind: 'config_desired', deviceId };
      if (a === 'config' && b === 'reported') return { kind: 'config_reported', deviceId };
      if (a === 'model' && b === 'desired') return { kind: 'model_desired', deviceId };
      if (a === 'model' && b === 'reported') return { kind: 'model_reported', deviceId };
      return null;
    case 4:
      if (b === 'evidence') return { kind: 'evidence', deviceId, cameraId: a, evidenceId: c };
      return null;
    default:
      return null;
  }
}

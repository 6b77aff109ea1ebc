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

/** Ids that would make a device's topics collide with the centre's own. */
export const RESERVED_DEVICE_IDS = ['teams'];

/** The centre's own MQTT account unless its config names another (`mqtt.username`). */
export const DEFAULT_CENTRE_USERNAME = 'streetwatch-center';

/**
 * How the client ids of the centre's own MQTT connections begin (ticketing/center.ts: worker,
 * ingest, api). A device named like one could pass for the centre's connection or take its session.
 */
export const CENTRE_CLIENT_ID_PREFIXES = ['streetwatch-center-', 'streetwatch-ingest-', 'streetwatch-api-'];

/** Wildcard subscriptions for the centre: everything every device publishes. */
export const centreSubscriptions = (root: string) => [
  `${root}/+/status`,
  `${root}/+/telemetry`,
  `${root}/+/+/detections`,
  `${root}/+/+/evidence/+`,
  `${root}/+/sensors/+`,
  `${root}/+/config/reported`,
  `${root}/+/model/reported`,
];

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

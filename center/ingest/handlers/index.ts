/**
 * The routing table: topic kind → handler and payload kind (which size limit applies). A kind not
 * listed (`config_desired`, `model_desired`: the centre's own topics) is not for devices to publish.
 */
import type { TopicKind } from '../../../contract/index.js';
import { handleConfigReported } from './config-reported.js';
import { handleDetection } from './detection.js';
import { handleEvidence } from './evidence.js';
import { handleModelReported } from './model-reported.js';
import { handleSensor } from './sensor.js';
import { handleStatus } from './status.js';
import { handleTelemetry } from './telemetry.js';
import type { Handler } from './types.js';

export interface Route {
  handler: Handler;
  payload: 'json' | 'jpeg';
  /** A retained topic: an empty payload is someone clearing the retained message, not an error. */
  retained?: boolean;
}

export const ROUTES: Readonly<Partial<Record<TopicKind, Route>>> = {
  detections: { handler: handleDetection, payload: 'json' },
  evidence: { handler: handleEvidence, payload: 'jpeg' },
  telemetry: { handler: handleTelemetry, payload: 'json' },
  status: { handler: handleStatus, payload: 'json', retained: true },
  sensors: { handler: handleSensor, payload: 'json' },
  config_reported: { handler: handleConfigReported, payload: 'json', retained: true },
  model_reported: { handler: handleModelReported, payload: 'json', retained: true },
};

export type { Handler, HandlerContext, IncomingMessage } from './types.js';

import { ulid } from 'ulid';
import type { DetectionMessage } from '../../contract/index.js';

/** The `i`th of many auto-confirmable detections, each in its own zone so none merges into another's order. */
export function detectionInOwnZone(i: number, deviceId: string): DetectionMessage {
  const now = new Date().toISOString();
  const x = (i % 10) / 10;
  return {
    v: 1, eventId: ulid(), seq: 0, deviceId, cameraId: 'cam-1', zoneId: `z${i}`, type: 'illegal_parking', state: 'started',
    label: 'car', confidence: 0.9, bbox: { x1: x, y1: 0.1, x2: x + 0.05, y2: 0.2 }, firstSeenAt: now, discoveredAt: now, sentAt: now, evidence: [],
  };
}

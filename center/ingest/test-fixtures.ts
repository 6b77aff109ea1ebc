/** Test support for the ingest: unique namespaces on the real Redis/Mosquitto, valid messages, waits. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DetectionMessage, EvidenceRef, StatusMessage, TelemetryMessage } from '../../contract/index.js';
import { sha256Hex } from '../../ticketing/evidence-store.js';

export const MOSQUITTO_URL = process.env.SW_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
export const REDIS_URL = process.env.SW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A root topic and a Redis prefix no other test uses. */
export function testNamespace(): { id: string; root: string; prefix: string } {
  const id = `swtest-${randomBytes(5).toString('hex')}`;
  return { id, root: `${id}/v1`, prefix: `{${id}}` };
}

import { deleteKeys } from '../../test/helpers/redis-keys.js';

export { deleteKeys };
export { waitFor } from '../../test/helpers/wait.js';

/**
 * For the describe block it is called in: one connection to the real Redis, and fresh key
 * prefixes whose keys are deleted after each test.
 */
export function redisNamespaces(): { redis: () => Redis; freshPrefix: () => string } {
  let redis: Redis | undefined;
  const prefixes: string[] = [];
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    for (const p of prefixes.splice(0)) await deleteKeys(redis!, p);
  });
  afterAll(async () => {
    await redis?.quit();
  });
  return {
    redis: () => redis!,
    freshPrefix: () => {
      const { prefix } = testNamespace();
      prefixes.push(prefix);
      return prefix;
    },
  };
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();

/** Not a real picture, but JPEG framing (SOI … EOI) around random bytes: unique per call. */
export function fakeJpeg(size = 2048): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(Math.max(0, size - 6)), Buffer.from([0xff, 0xd9])]);
}

export function evidenceRef(jpeg: Buffer, evidenceId = ulid(), kind: EvidenceRef['kind'] = 'full'): EvidenceRef {
  return { evidenceId, sha256: sha256Hex(jpeg), capturedAt: iso(), contentType: 'image/jpeg', bytes: jpeg.length, kind };
}

export function detection(deviceId: string, cameraId: string, over: Partial<DetectionMessage> = {}): DetectionMessage {
  const now = Date.now();
  return {
    v: 1,
    eventId: ulid(),
    seq: 0,
    deviceId,
    cameraId,
    zoneId: 'kerb-1',
    type: 'illegal_parking',
    state: 'started',
    label: 'car',
    confidence: 0.83,
    bbox: { x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.4 },
    firstSeenAt: iso(now - 60_000),
    discoveredAt: iso(now - 1000),
    sentAt: iso(now),
    evidence: [],
    ...over,
  };
}

export function telemetry(deviceId: string, over: Partial<TelemetryMessage> = {}): TelemetryMessage {
  return {
    v: 1,
    deviceId,
    at: iso(),
    cameras: [
      {
        cameraId: 'cam-1', state: 'connected', fps: 12.5, inferenceMs: 31.5, decodeCpuPercent: 8.5, skippedFrames: 40, droppedFrames: 2, lastFrameAt: iso(), openDetections: 1,
        zoneModels: [{ modelId: 'stalls', runs: 6, inferenceMs: 12.5, detections: 4 }],
      },
      // As older boxes send it: no zoneModels.
      { cameraId: 'cam-2', state: 'stalled', fps: 0, inferenceMs: 0, skippedFrames: 0, droppedFrames: 7, lastFrameAt: null, openDetections: 0 },
    ],
    system: { cpuPercent: 42.5, rssMb: 180, memFreeMb: 512, diskFreeMb: 20_000, loadAvg1: 0.7, uptimeSeconds: 3600 },
    spool: { messages: 3, bytes: 4096, dropped: 0 },
    ...over,
  };
}

export function status(deviceId: string, state: StatusMessage['state'] = 'online', over: Partial<StatusMessage> = {}): StatusMessage {
  return { v: 1, deviceId, state, at: iso(), version: '0.1.0', ...over };
}

export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import {
  configReportedMessage, DELIVERY, detectionMessage, modelReportedMessage, sensorMessage, statusMessage, telemetryMessage, topics,
  type ConfigReportedMessage, type DetectionMessage, type ModelReportedMessage, type SensorMessage, type StatusMessage, type TelemetryMessage,
} from '../../contract/index.js';
import type { z } from 'zod';

import type { SpoolMessage } from './spool.js';

/** A message as the spool stores it; its kind decides what may be dropped when the spool is full. */
export type OutMessage = SpoolMessage;

/** Where the agent's messages go: the MQTT link live, a JSONL file in a replay. */
export interface Outbox {
  send(msg: OutMessage): void;
}

const json = <S extends z.ZodType>(schema: S, value: z.output<S>): Buffer => Buffer.from(JSON.stringify(schema.parse(value)));

/** Turns domain messages into topics and validated payloads; the only place the edge builds topics. */
export class EdgePublisher {
  constructor(
    private readonly out: Outbox,
    readonly root: string,
    readonly deviceId: string,
  ) {}

  detection(msg: DetectionMessage): void {
    this.out.send({ topic: topics.detections(this.root, this.deviceId, msg.cameraId), payload: json(detectionMessage, msg), ...DELIVERY.detections, kind: 'detection' });
  }

  evidence(cameraId: string, evidenceId: string, jpeg: Buffer): void {
    this.out.send({ topic: topics.evidence(this.root, this.deviceId, cameraId, evidenceId), payload: jpeg, ...DELIVERY.evidence, kind: 'evidence' });
  }

  telemetry(msg: TelemetryMessage): void {
    this.out.send({ topic: topics.telemetry(this.root, this.deviceId), payload: json(telemetryMessage, msg), ...DELIVERY.telemetry, kind: 'telemetry' });
  }

  status(msg: StatusMessage): void {
    this.out.send({ topic: topics.status(this.root, this.deviceId), payload: json(statusMessage, msg), ...DELIVERY.status, kind: 'status' });
  }

  sensor(msg: SensorMessage): void {
    this.out.send({ topic: topics.sensor(this.root, this.deviceId, msg.sensorId), payload: json(sensorMessage, msg), ...DELIVERY.sensor, kind: 'sensor' });
  }

  configReported(msg: ConfigReportedMessage): void {
    this.out.send({ topic: topics.configReported(this.root, this.deviceId), payload: json(configReportedMessage, msg), ...DELIVERY.configReported, kind: 'config' });
  }

  /** Spooled as `config`: like a config report, the latest one matters and older ones may go when the spool is full. */
  modelReported(msg: ModelReportedMessage): void {
    this.out.send({ topic: topics.modelReported(this.root, this.deviceId), payload: json(modelReportedMessage, msg), ...DELIVERY.modelReported, kind: 'config' });
  }
}

/**
 * Replay output: one JSON object per line, `{"topic", "payload"}` for JSON messages and
 * `{"topic", "bytes", "sha256"}` for binary ones; evidence JPEGs optionally written to a folder.
 */
export class JsonlOutbox implements Outbox {
  private readonly stream: WriteStream | null;

  constructor(eventsFile: string | undefined, private readonly evidenceDir?: string) {
    this.stream = eventsFile ? createWriteStream(eventsFile) : null;
    if (evidenceDir) mkdirSync(evidenceDir, { recursive: true });
  }

  send(msg: OutMessage): void {
    let line: string;
    if (msg.kind === 'evidence') {
      const sha256 = createHash('sha256').update(msg.payload).digest('hex');
      line = JSON.stringify({ topic: msg.topic, bytes: msg.payload.length, sha256 });
      if (this.evidenceDir) writeFileSync(join(this.evidenceDir, `${msg.topic.split('/').pop()}.jpg`), msg.payload);
    } else {
      line = JSON.stringify({ topic: msg.topic, payload: JSON.parse(msg.payload.toString('utf8')) });
    }
    this.stream?.write(`${line}\n`);
  }

  async close(): Promise<void> {
    const s = this.stream;
    if (s) await new Promise<void>((res, rej) => s.end((err?: Error | null) => (err ? rej(err) : res())));
  }
}

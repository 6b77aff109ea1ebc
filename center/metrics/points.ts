/**
 * What the centre records for dashboards, as InfluxDB points: pure builders from messages and
 * order transitions, and the sink interface domain code writes to. The InfluxDB writer itself
 * (influx-writer.ts) is wired in by center/start.ts; nothing else needs it.
 */
import { Point } from '@influxdata/influxdb-client';
import type { DetectionMessage, SensorMessage, TelemetryMessage } from '../../contract/index.js';
import type { OrderState, WorkOrder } from '../../ticketing/work-order.js';

export { Point };

export interface MetricsWriterStats {
  /** Points InfluxDB acknowledged. */
  written: number;
  /** Points waiting (buffered + in flight). */
  buffered: number;
  /** Points lost: buffer overflow, refused by InfluxDB (4xx), or still buffered at close. */
  dropped: number;
  /** Failed write requests. */
  failures: number;
}

export interface MetricsWriter {
  /** Queues points; never throws, never waits. */
  write(points: Point | readonly Point[]): void;
  /** Sends what is buffered now; resolves when the buffer is empty, a send failed, or it is backing off after one. */
  flush(): Promise<void>;
  stats(): MetricsWriterStats;
  /** Flushes (bounded by closeTimeoutMs), counts what is left as dropped, stops. */
  close(): Promise<void>;
}

/** For when no InfluxDB is configured, and for tests. */
export class NoopMetricsWriter implements MetricsWriter {
  write(): void {}
  async flush(): Promise<void> {}
  stats(): MetricsWriterStats {
    return { written: 0, buffered: 0, dropped: 0, failures: 0 };
  }
  async close(): Promise<void> {}
}


/** `edge_camera` per camera, `edge_zone_model` per camera and second-stage model, and `edge_system` per box, at the telemetry's `at`. */
export function telemetryPoints(msg: TelemetryMessage): Point[] {
  const at = new Date(msg.at);
  const ofCamera = (measurement: string, cameraId: string) => new Point(measurement).tag('device', msg.deviceId).tag('camera', cameraId).timestamp(at);
  const cameras = msg.cameras.map((c) => {
    const point = ofCamera('edge_camera', c.cameraId)
      .floatField('fps', c.fps)
      .floatField('inference_ms', c.inferenceMs)
      .intField('skipped_frames', c.skippedFrames)
      .intField('dropped_frames', c.droppedFrames)
      .intField('open_detections', c.openDetections)
      .intField('connected', c.state === 'connected' ? 1 : 0);
    return c.decodeCpuPercent === undefined ? point : point.floatField('decode_cpu_percent', c.decodeCpuPercent);
  });
  const zoneModels = msg.cameras.flatMap((c) =>
    (c.zoneModels ?? []).map((m) =>
      ofCamera('edge_zone_model', c.cameraId).tag('model', m.modelId).intField('runs', m.runs).floatField('inference_ms', m.inferenceMs).intField('detections', m.detections),
    ),
  );
  const s = msg.system;
  const system = new Point('edge_system')
    .tag('device', msg.deviceId)
    .floatField('cpu_percent', s.cpuPercent)
    .floatField('rss_mb', s.rssMb)
    .floatField('mem_free_mb', s.memFreeMb)
    .floatField('disk_free_mb', s.diskFreeMb)
    .floatField('load_avg1', s.loadAvg1)
    .floatField('uptime_seconds', s.uptimeSeconds)
    .intField('spool_messages', msg.spool.messages)
    .intField('spool_bytes', msg.spool.bytes)
    .intField('spool_dropped', msg.spool.dropped)
    .timestamp(at);
  return [...cameras, ...zoneModels, system];
}

/** `detection`: one per lifecycle message, at its `sentAt`. */
export function detectionPoint(msg: DetectionMessage): Point {
  return new Point('detection')
    .tag('type', msg.type)
    .tag('device', msg.deviceId)
    .tag('camera', msg.cameraId)
    .tag('zone', msg.zoneId)
    .tag('state', msg.state)
    .floatField('confidence', msg.confidence)
    .timestamp(new Date(msg.sentAt));
}

/** `sensor`: a bay sensor's occupancy (1/0), at the reading's `at`. */
export function sensorPoint(msg: SensorMessage): Point {
  const p = new Point('sensor').tag('device', msg.deviceId).tag('sensor', msg.sensorId);
  if (msg.zoneId) p.tag('zone', msg.zoneId);
  if (msg.cameraId) p.tag('camera', msg.cameraId);
  return p.intField('occupied', msg.occupied ? 1 : 0).timestamp(new Date(msg.at));
}

export interface OrderEvent {
  order: Pick<WorkOrder, 'type' | 'team' | 'deviceId' | 'cameraId' | 'discoveredAt'>;
  from: OrderState | null;
  to: OrderState;
  /** When the transition happened: ISO string, Date or epoch ms. */
  at: string | Date | number;
}

/** `work_order`: one per transition, tagged with the new state; `seconds` since discovery (the SLA clock). */
export function orderEventPoint({ order, from, to, at }: OrderEvent): Point {
  const atMs = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  const p = new Point('work_order')
    .tag('type', order.type)
    .tag('team', order.team)
    .tag('state', to);
  // A reported problem no camera saw has no device.
  if (order.deviceId) p.tag('device', order.deviceId);
  if (order.cameraId) p.tag('camera', order.cameraId);
  if (from) p.tag('from', from);
  return p.floatField('seconds', Math.max(0, (atMs - Date.parse(order.discoveredAt)) / 1000)).timestamp(new Date(atMs));
}

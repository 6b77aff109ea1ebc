import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from '../../common/logger.js';
import { localSensorReading, toIso, type SensorMessage } from '../../contract/index.js';
import { formatZodIssues } from '../../common/config-file.js';
import { StreetWatchError } from '../../common/errors.js';
import type { SensorBay } from '../config.js';

export interface SensorState {
  occupied: boolean;
  /** When the current occupied/free state began. */
  sinceMs: number;
  lastReadingMs: number;
}

export class SensorReadingError extends StreetWatchError {
  constructor(
    message: string,
    /** The sensor id is not configured (HTTP 404) rather than the body being wrong (400). */
    readonly unknownSensor = false,
  ) {
    super('SENSOR_READING_INVALID', message);
  }
}

/**
 * Street sensors near the box (e.g. geomagnetic bay sensors) report occupied/free; the hub keeps
 * their state for the rules and turns each reading into a message the agent republishes.
 */
export class SensorHub {
  readonly state = new Map<string, SensorState>();
  private readonly bays: Map<string, SensorBay>;

  constructor(
    bays: readonly SensorBay[],
    private readonly deviceId: string,
    private readonly publish: (msg: SensorMessage) => void,
  ) {
    this.bays = new Map(bays.map((b) => [b.id, b]));
  }

  /** Validates and records one reading; unknown sensors and bad bodies are refused with the reason. */
  report(sensorId: string, body: unknown, nowMs: number): SensorMessage {
    const bay = this.bays.get(sensorId);
    if (!bay) throw new SensorReadingError(`unknown sensor ${sensorId} (not in sensors.bays)`, true);
    const parsed = localSensorReading.safeParse(body);
    if (!parsed.success) throw new SensorReadingError(`sensor ${sensorId}: invalid reading:\n${formatZodIssues(parsed.error.issues)}`);
    const atMs = parsed.data.at ? Date.parse(parsed.data.at) : nowMs;
    const prev = this.state.get(sensorId);
    const sinceMs = prev && prev.occupied === parsed.data.occupied ? prev.sinceMs : atMs;
    this.state.set(sensorId, { occupied: parsed.data.occupied, sinceMs, lastReadingMs: atMs });
    const msg: SensorMessage = {
      v: 1,
      deviceId: this.deviceId,
      sensorId,
      zoneId: bay.zoneId,
      ...(bay.cameraId ? { cameraId: bay.cameraId } : {}),
      occupied: parsed.data.occupied,
      at: toIso(atMs),
      since: toIso(sinceMs),
    };
    this.publish(msg);
    return msg;
  }

  /** `POST /sensors/<id>` with `{"occupied": true}`; 400/404 name what is wrong. */
  async listen(port: number, host = '0.0.0.0'): Promise<FastifyInstance> {
    const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
    app.post<{ Params: { id: string } }>('/sensors/:id', async (req, reply) => {
      try {
        return this.report(req.params.id, req.body, Date.now());
      } catch (e) {
        // Anything else (e.g. publishing failed) is the box's fault: fastify answers 500.
        if (!(e instanceof SensorReadingError)) throw e;
        return reply.code(e.unknownSensor ? 404 : 400).send({ error: e.message });
      }
    });
    app.get('/sensors', async () => Object.fromEntries(this.state));
    await app.listen({ port, host });
    return app;
  }

  /**
   * Sensors that speak MQTT publish `{"occupied": true}` to a local topic; the sensor id is the last
   * topic level. A bad reading is logged with its reason and dropped (sensors resend periodically).
   */
  subscribeMqtt(url: string, topicFilter: string, logger: Logger, auth: { username?: string; password?: string } = {}): MqttClient {
    const client = connect(url, { ...auth, clientId: `streetwatch-sensors-${this.deviceId}`, reconnectPeriod: 2000 });
    client.on('connect', () => client.subscribe(topicFilter, { qos: 1 }));
    client.on('error', (err) => logger.warn({ err: err.message }, 'sensor broker error'));
    client.on('message', (topic, payload) => {
      const sensorId = topic.split('/').pop() ?? '';
      try {
        this.report(sensorId, JSON.parse(payload.toString('utf8')), Date.now());
      } catch (e) {
        logger.warn({ sensorId, topic, err: (e as Error).message }, 'sensor reading refused');
      }
    });
    return client;
  }
}

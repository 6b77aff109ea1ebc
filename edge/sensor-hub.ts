import Fastify, { type FastifyInstance } from 'fastify';
import { localSensorReading, toIso, type SensorMessage } from '../contract/index.js';
import { formatZodIssues } from '../common/config-file.js';
import { StreetWatchError } from '../common/errors.js';
import type { SensorBay } from './config.js';

export interface SensorState {
  occupied: boolean;
  /** When the current occupied/free state began. */
  sinceMs: number;
  lastReadingMs: number;
}

export class SensorReadingError extends StreetWatchError {
  constructor(message: string) {
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
    if (!bay) throw new SensorReadingError(`unknown sensor ${sensorId} (not in sensors.bays)`);
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
        const unknown = (e as Error).message.startsWith('unknown sensor');
        return reply.code(unknown ? 404 : 400).send({ error: (e as Error).message });
      }
    });
    app.get('/sensors', async () => Object.fromEntries(this.state));
    await app.listen({ port, host });
    return app;
  }
}

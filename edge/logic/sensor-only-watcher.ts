import type { Logger } from '../../common/logger.js';
import { SENSOR_ONLY_CAMERA, type SensorBay } from '../config.js';
import { detectionMessage, type OpenViolation } from './detection-message.js';
import { ViolationLifecycle } from './lifecycle.js';
import type { EdgePublisher } from '../adapters/outbox.js';
import { sensorOnlyCandidates } from './rules/index.js';
import type { SensorReadings } from './violation.js';


const TIMING = { updateSeconds: 60, evidenceRepeatSeconds: Number.POSITIVE_INFINITY };

/**
 * Bays no camera covers still raise `illegal_parking` (label `sensor`, no photo). Sensor readings
 * arrive on the wall clock, so this is evaluated on a wall-clock tick rather than per frame.
 */
export class SensorOnlyWatcher {
  private readonly bays: SensorBay[];
  private readonly lifecycle = new ViolationLifecycle();
  private readonly open = new Map<string, OpenViolation>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    bays: readonly SensorBay[],
    private readonly state: SensorReadings,
    private readonly publisher: EdgePublisher,
    private readonly logger: Logger,
    tickMs = 1000,
  ) {
    this.bays = bays.filter((b) => b.cameraId === undefined);
    if (this.bays.length) this.timer = setInterval(() => this.tick(Date.now()), tickMs);
  }

  tick(nowMs: number): void {
    try {
      const events = this.lifecycle.step(nowMs, sensorOnlyCandidates(this.bays, this.state, nowMs), () => TIMING);
      for (const ev of events) {
        let open = this.open.get(ev.eventId);
        if (!open) this.open.set(ev.eventId, (open = { refs: [], seq: 0 }));
        this.publisher.detection(detectionMessage(ev, open, { deviceId: this.publisher.deviceId, cameraId: SENSOR_ONLY_CAMERA, frame: null, sentAtMs: nowMs }));
        if (ev.state === 'ended') this.open.delete(ev.eventId);
      }
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'sensor-only evaluation failed');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

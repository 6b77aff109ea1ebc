/** Bays no camera covers: occupied past their dwell → an illegal_parking detection labelled `sensor`. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTime } from 'ulid';
import { detectionMessage, topics, type DetectionMessage } from '../../contract/index.js';
import type { SensorBay } from '../config.js';
import { EdgePublisher, type OutMessage, type Outbox } from '../adapters/outbox.js';
import { SensorHub } from '../adapters/sensor-hub.js';
import { SENSOR_ONLY_CAMERA } from '../config.js';
import { SensorOnlyWatcher } from './sensor-only-watcher.js';

const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const ROOT = 'streetwatch/v1';
const DEVICE = 'pole-0001';

/** A real Outbox that keeps what it is sent. */
class CapturingOutbox implements Outbox {
  readonly sent: OutMessage[] = [];
  send(msg: OutMessage): void {
    this.sent.push(msg);
  }
  /** The detection payloads, each checked against the contract schema. */
  detections(): DetectionMessage[] {
    return this.sent.filter((m) => m.kind === 'detection').map((m) => detectionMessage.parse(JSON.parse(m.payload.toString('utf8'))));
  }
}

/** Log lines collected from a real pino logger. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const BAYS: SensorBay[] = [
  { id: 'bay-7', zoneId: 'side-street', dwellSeconds: 2 },
  // Covered by a camera: the camera pipeline handles it, never this watcher.
  { id: 'bay-1', zoneId: 'kerb', cameraId: 'cam-1', dwellSeconds: 2 },
];

const watchers: SensorOnlyWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.stop();
});

function setup(bays = BAYS) {
  const out = new CapturingOutbox();
  const publisher = new EdgePublisher(out, ROOT, DEVICE);
  const sensors = new SensorHub(bays, DEVICE, (m) => publisher.sensor(m));
  const { logger, lines } = capturingLogger();
  // A timer that never fires within the test: every evaluation is an explicit tick(nowMs).
  const watcher = new SensorOnlyWatcher(bays, sensors.state, publisher, logger, 3_600_000);
  watchers.push(watcher);
  return { out, publisher, sensors, watcher, lines };
}

describe('SensorOnlyWatcher', () => {
  it('occupied for less than the dwell → nothing; at the dwell → one started detection', () => {
    const { out, sensors, watcher } = setup();
    sensors.report('bay-7', { occupied: true }, T0);
    watcher.tick(T0);
    watcher.tick(T0 + 1_000);
    watcher.tick(T0 + 1_999);
    expect(out.detections()).toEqual([]);

    watcher.tick(T0 + 2_000);
    const [started, ...rest] = out.detections();
    expect(rest).toEqual([]);
    expect(started).toEqual({
      v: 1,
      eventId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      seq: 0,
      deviceId: DEVICE,
      cameraId: SENSOR_ONLY_CAMERA,
      zoneId: 'side-street',
      type: 'illegal_parking',
      state: 'started',
      label: 'sensor',
      confidence: 0.5,
      bbox: null,
      firstSeenAt: iso(T0),
      discoveredAt: iso(T0 + 2_000),
      sentAt: iso(T0 + 2_000),
      evidence: [],
      sensors: [{ sensorId: 'bay-7', occupied: true, since: iso(T0) }],
    });
    expect(SENSOR_ONLY_CAMERA).toBe('bays');
    // The event id encodes the discovery time.
    expect(decodeTime(started.eventId)).toBe(T0 + 2_000);

    const det = out.sent.find((m) => m.kind === 'detection')!;
    expect(det).toMatchObject({ topic: topics.detections(ROOT, DEVICE, 'bays'), qos: 1, retain: false });

    // Still occupied: no second started, no update before updateSeconds (60 s).
    watcher.tick(T0 + 3_000);
    watcher.tick(T0 + 30_000);
    expect(out.detections()).toHaveLength(1);
  });

  it('a heartbeat with the same state does not restart the dwell', () => {
    const { out, sensors, watcher } = setup();
    sensors.report('bay-7', { occupied: true }, T0);
    sensors.report('bay-7', { occupied: true }, T0 + 1_500);
    watcher.tick(T0 + 2_000);
    expect(out.detections().map((d) => d.state)).toEqual(['started']);
  });

  it('freed → ended with reason left, the same eventId, endedAt and stayedSeconds', () => {
    const { out, sensors, watcher } = setup();
    sensors.report('bay-7', { occupied: true }, T0);
    watcher.tick(T0 + 2_000);
    watcher.tick(T0 + 5_000);
    sensors.report('bay-7', { occupied: false }, T0 + 5_500);
    watcher.tick(T0 + 6_000);

    const msgs = out.detections();
    expect(msgs.map((m) => m.state)).toEqual(['started', 'ended']);
    const [started, ended] = msgs;
    expect(ended).toMatchObject({
      eventId: started.eventId,
      seq: 1,
      cameraId: 'bays',
      zoneId: 'side-street',
      state: 'ended',
      label: 'sensor',
      bbox: null,
      reason: 'left',
      endedAt: iso(T0 + 6_000),
      sentAt: iso(T0 + 6_000),
      firstSeenAt: iso(T0),
      discoveredAt: iso(T0 + 2_000),
      // From the bay becoming occupied to the last tick it still was.
      stayedSeconds: 5,
    });

    // Nothing more while free.
    watcher.tick(T0 + 60_000);
    expect(out.detections()).toHaveLength(2);
  });

  it('a bay occupied again later is a new violation with a new eventId and seq 0', () => {
    const { out, sensors, watcher } = setup();
    sensors.report('bay-7', { occupied: true }, T0);
    watcher.tick(T0 + 2_000);
    sensors.report('bay-7', { occupied: false }, T0 + 3_000);
    watcher.tick(T0 + 3_000);
    sensors.report('bay-7', { occupied: true }, T0 + 10_000);
    watcher.tick(T0 + 11_000); // not yet: the dwell restarts
    expect(out.detections()).toHaveLength(2);
    watcher.tick(T0 + 12_000);
    const msgs = out.detections();
    expect(msgs.map((m) => `${m.state}:${m.seq}`)).toEqual(['started:0', 'ended:1', 'started:0']);
    expect(msgs[2].eventId).not.toBe(msgs[0].eventId);
    expect(msgs[2].firstSeenAt).toBe(iso(T0 + 10_000));
    expect(msgs[2].sensors).toEqual([{ sensorId: 'bay-7', occupied: true, since: iso(T0 + 10_000) }]);
  });

  it('while the bay stays occupied, an update every 60 s with increasing seq', () => {
    const { out, sensors, watcher } = setup();
    sensors.report('bay-7', { occupied: true }, T0);
    for (let s = 2; s <= 125; s++) watcher.tick(T0 + s * 1000);
    const msgs = out.detections();
    expect(msgs.map((m) => `${m.state}:${m.seq}@${(Date.parse(m.sentAt) - T0) / 1000}`)).toEqual([
      'started:0@2', 'updated:1@62', 'updated:2@122',
    ]);
    for (const m of msgs) expect(m.eventId).toBe(msgs[0].eventId);
  });

  it('ignores bays a camera covers, and a bay never reported', () => {
    const { out, sensors, watcher } = setup();
    sensors.report('bay-1', { occupied: true }, T0);
    watcher.tick(T0 + 60_000);
    expect(out.detections()).toEqual([]);
  });

  it('two bays of one zone are two violations', () => {
    const bays: SensorBay[] = [
      { id: 'bay-7', zoneId: 'side-street', dwellSeconds: 2 },
      { id: 'bay-8', zoneId: 'side-street', dwellSeconds: 10 },
    ];
    const { out, sensors, watcher } = setup(bays);
    sensors.report('bay-7', { occupied: true }, T0);
    sensors.report('bay-8', { occupied: true }, T0);
    watcher.tick(T0 + 2_000);
    watcher.tick(T0 + 10_000);
    const msgs = out.detections();
    expect(msgs.map((m) => m.sensors![0].sensorId)).toEqual(['bay-7', 'bay-8']);
    expect(new Set(msgs.map((m) => m.eventId)).size).toBe(2);
  });

  it('a failing publisher is logged, not thrown out of the tick', () => {
    const bays: SensorBay[] = [{ id: 'bay-7', zoneId: 'side-street', dwellSeconds: 2 }];
    const sensors = new SensorHub(bays, DEVICE, () => {});
    const failing = new EdgePublisher({ send: () => { throw new Error('link down'); } }, ROOT, DEVICE);
    const { logger, lines } = capturingLogger();
    const watcher = new SensorOnlyWatcher(bays, sensors.state, failing, logger, 3_600_000);
    watchers.push(watcher);
    sensors.report('bay-7', { occupied: true }, T0);
    expect(() => watcher.tick(T0 + 2_000)).not.toThrow();
    // pino writes asynchronously to the stream; give it a moment.
    return new Promise<void>((resolve) => setImmediate(() => {
      expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'sensor-only evaluation failed', err: 'link down' }));
      resolve();
    }));
  });

  it('its own timer ticks on the wall clock until stopped', async () => {
    const bays: SensorBay[] = [{ id: 'bay-7', zoneId: 'side-street', dwellSeconds: 0.05 }];
    const out = new CapturingOutbox();
    const publisher = new EdgePublisher(out, ROOT, DEVICE);
    const sensors = new SensorHub(bays, DEVICE, () => {});
    const { logger } = capturingLogger();
    sensors.report('bay-7', { occupied: true }, Date.now());
    const watcher = new SensorOnlyWatcher(bays, sensors.state, publisher, logger, 20);
    watchers.push(watcher);
    const deadline = Date.now() + 2_000;
    while (out.detections().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    watcher.stop();
    expect(out.detections().map((d) => d.state)).toEqual(['started']);
    sensors.report('bay-7', { occupied: false }, Date.now());
    await new Promise((r) => setTimeout(r, 100));
    // Stopped: the freed bay is not evaluated any more.
    expect(out.detections()).toHaveLength(1);
  });
});

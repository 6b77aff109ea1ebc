/** Street sensor readings: state kept for the rules, messages for the centre, and the HTTP endpoint on the box. */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sensorMessage, type SensorMessage } from '../../contract/index.js';
import type { SensorBay } from '../config.js';
import { SensorHub, SensorReadingError } from './sensor-hub.js';

const BAYS: SensorBay[] = [
  { id: 'bay-1', zoneId: 'kerb', cameraId: 'cam-1', dwellSeconds: 300 },
  { id: 'bay-2', zoneId: 'side-street', dwellSeconds: 120 },
];
const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function hub() {
  const published: SensorMessage[] = [];
  const h = new SensorHub(BAYS, 'pole-0001', (m) => published.push(m));
  return { h, published };
}

function refused(fn: () => unknown): SensorReadingError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SensorReadingError);
    expect((e as SensorReadingError).code).toBe('SENSOR_READING_INVALID');
    return e as SensorReadingError;
  }
  throw new Error('the reading was accepted');
}

describe('SensorHub.report', () => {
  it('keeps `since` while the state is unchanged and resets it when the bay flips', () => {
    const { h, published } = hub();
    const m1 = h.report('bay-1', { occupied: true }, T0);
    expect(m1).toEqual({
      v: 1, deviceId: 'pole-0001', sensorId: 'bay-1', zoneId: 'kerb', cameraId: 'cam-1', occupied: true, at: iso(T0), since: iso(T0),
    });
    expect(h.state.get('bay-1')).toEqual({ occupied: true, sinceMs: T0, lastReadingMs: T0 });

    // A heartbeat with the same state: since stays, lastReading moves on.
    const m2 = h.report('bay-1', { occupied: true }, T0 + 30_000);
    expect(m2).toMatchObject({ occupied: true, at: iso(T0 + 30_000), since: iso(T0) });
    expect(h.state.get('bay-1')).toEqual({ occupied: true, sinceMs: T0, lastReadingMs: T0 + 30_000 });

    // Freed: since resets to the reading time.
    const m3 = h.report('bay-1', { occupied: false }, T0 + 60_000);
    expect(m3).toMatchObject({ occupied: false, at: iso(T0 + 60_000), since: iso(T0 + 60_000) });
    h.report('bay-1', { occupied: false }, T0 + 90_000);
    expect(h.state.get('bay-1')).toEqual({ occupied: false, sinceMs: T0 + 60_000, lastReadingMs: T0 + 90_000 });

    // Occupied again: a new since.
    const m5 = h.report('bay-1', { occupied: true }, T0 + 120_000);
    expect(m5.since).toBe(iso(T0 + 120_000));

    expect(published).toEqual([m1, m2, m3, expect.objectContaining({ since: iso(T0 + 60_000) }), m5]);
    for (const m of published) expect(sensorMessage.safeParse(m).success).toBe(true);
  });

  it('uses the reading\'s own `at` when the sensor sends one', () => {
    const { h } = hub();
    const at = '2026-11-26T07:59:58.250Z';
    const m = h.report('bay-1', { occupied: true, at }, T0);
    expect(m.at).toBe(at);
    expect(m.since).toBe(at);
    expect(h.state.get('bay-1')!.sinceMs).toBe(Date.parse(at));
  });

  it('a bay no camera covers publishes without cameraId; the message still validates', () => {
    const { h } = hub();
    const m = h.report('bay-2', { occupied: true }, T0);
    expect(m).not.toHaveProperty('cameraId');
    expect(m.zoneId).toBe('side-street');
    expect(sensorMessage.parse(m)).toEqual(m);
  });

  it('sensors keep separate state', () => {
    const { h } = hub();
    h.report('bay-1', { occupied: true }, T0);
    h.report('bay-2', { occupied: false }, T0 + 5_000);
    h.report('bay-2', { occupied: true }, T0 + 10_000);
    expect(h.state.get('bay-1')).toEqual({ occupied: true, sinceMs: T0, lastReadingMs: T0 });
    expect(h.state.get('bay-2')).toEqual({ occupied: true, sinceMs: T0 + 10_000, lastReadingMs: T0 + 10_000 });
  });

  it('refuses an unknown sensor, naming it, and records nothing', () => {
    const { h, published } = hub();
    const e = refused(() => h.report('bay-99', { occupied: true }, T0));
    expect(e.message).toBe('unknown sensor bay-99 (not in sensors.bays)');
    expect(e.unknownSensor).toBe(true);
    expect(h.state.size).toBe(0);
    expect(published).toEqual([]);
  });

  it.each([
    ['no occupied field', {}, /occupied: Invalid input: expected boolean, received undefined/],
    ['occupied as a string', { occupied: 'yes' }, /occupied: Invalid input: expected boolean, received string/],
    ['occupied as a number', { occupied: 1 }, /occupied: .*expected boolean/],
    ['a bad timestamp', { occupied: true, at: '26/11/2026 08:00' }, /at: must be ISO 8601 UTC with milliseconds/],
    ['not an object', 'occupied', /\(root\): .*expected object/],
    ['null', null, /\(root\): .*expected object/],
  ])('refuses a body with %s, saying why', (_what, body, reason) => {
    const { h, published } = hub();
    h.report('bay-1', { occupied: false }, T0);
    const e = refused(() => h.report('bay-1', body, T0 + 1000));
    expect(e.message).toMatch(/^sensor bay-1: invalid reading:\n/);
    expect(e.unknownSensor).toBe(false);
    expect(e.message).toMatch(reason);
    // The previous state is untouched and nothing more is published.
    expect(h.state.get('bay-1')).toEqual({ occupied: false, sinceMs: T0, lastReadingMs: T0 });
    expect(published).toHaveLength(1);
  });
});

describe('SensorHub HTTP endpoint', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start() {
    const { h, published } = hub();
    app = await h.listen(0, '127.0.0.1'); // port 0: the OS picks a free one
    const { port } = app.server.address() as AddressInfo;
    expect(port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${port}`;
    const post = (id: string, body: string, contentType = 'application/json') =>
      fetch(`${base}/sensors/${id}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { h, published, base, post };
  }

  it('POST /sensors/<id> → 200 with the message it publishes; GET /sensors shows the state', async () => {
    const { h, published, base, post } = await start();
    const before = Date.now();
    const res = await post('bay-1', JSON.stringify({ occupied: true }));
    expect(res.status).toBe(200);
    const msg = (await res.json()) as SensorMessage;
    expect(sensorMessage.parse(msg)).toEqual(msg);
    expect(msg).toMatchObject({ v: 1, deviceId: 'pole-0001', sensorId: 'bay-1', zoneId: 'kerb', cameraId: 'cam-1', occupied: true });
    // Without `at`, the box's clock stamps the reading.
    expect(Date.parse(msg.at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(msg.at)).toBeLessThanOrEqual(Date.now());
    expect(published).toEqual([msg]);

    const at = '2026-11-26T08:00:00.000Z';
    expect((await post('bay-2', JSON.stringify({ occupied: false, at }))).status).toBe(200);

    const state = await fetch(`${base}/sensors`);
    expect(state.status).toBe(200);
    expect(await state.json()).toEqual({
      'bay-1': { occupied: true, sinceMs: Date.parse(msg.since), lastReadingMs: Date.parse(msg.at) },
      'bay-2': { occupied: false, sinceMs: Date.parse(at), lastReadingMs: Date.parse(at) },
    });
    expect(h.state.size).toBe(2);
  });

  it('an unknown sensor → 404 naming it', async () => {
    const { published, post } = await start();
    const res = await post('bay-99', JSON.stringify({ occupied: true }));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'unknown sensor bay-99 (not in sensors.bays)' });
    expect(published).toEqual([]);
  });

  it('a bad body → 400 with the reason', async () => {
    const { h, published, post } = await start();
    const res = await post('bay-1', JSON.stringify({ occupied: 'maybe' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/^sensor bay-1: invalid reading:\n\s+occupied: .*expected boolean/);
    expect(h.state.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('malformed JSON → 400, not a crash', async () => {
    const { published, post, base } = await start();
    const res = await post('bay-1', '{"occupied": tru');
    expect(res.status).toBe(400);
    expect(published).toEqual([]);
    // The server keeps serving.
    expect((await fetch(`${base}/sensors`)).status).toBe(200);
  });

  it('a failure publishing a valid reading is a 500, not blamed on the sensor\'s body', async () => {
    const h = new SensorHub(BAYS, 'pole-0001', () => {
      throw new Error('spool full');
    });
    app = await h.listen(0, '127.0.0.1');
    const { port } = app.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/sensors/bay-1`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ occupied: true }),
    });
    expect(res.status).toBe(500);
  });
});

describe('sensors over a local MQTT topic (Mosquitto on 127.0.0.1:1883)', () => {
  it('records readings published to the topic and logs bad ones instead of failing', async () => {
    const root = `swtest-${randomBytes(4).toString('hex')}/sensors`;
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void logged.push(l) });
    const { h, published } = hub();
    const sub = h.subscribeMqtt('mqtt://127.0.0.1:1883', `${root}/+`, logger);
    await new Promise<void>((res) => sub.once('connect', () => setTimeout(res, 200)));
    const sensor = await connectAsync('mqtt://127.0.0.1:1883');
    await sensor.publishAsync(`${root}/${BAYS[0].id}`, JSON.stringify({ occupied: true }), { qos: 1 });
    await sensor.publishAsync(`${root}/${BAYS[0].id}`, '{"occupied": "yes"}', { qos: 1 });
    const deadline = Date.now() + 5000;
    while ((published.length < 1 || logged.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(h.state.get(BAYS[0].id)?.occupied).toBe(true);
    expect(published.map((m) => m.sensorId)).toEqual([BAYS[0].id]);
    expect(logged.join('')).toMatch(/sensor reading refused/);
    await sensor.endAsync();
    await sub.endAsync();
  });
});

/**
 * The console's live stream end to end inside the centre: order writes become events, Redis
 * pub/sub carries them between processes, the broker's device messages become events, and
 * `/api/events` streams them to a signed-in browser.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { topics } from '../../contract/index.js';
import { startAedes } from '../../test/helpers/aedes-broker.js';
import { waitFor } from '../../test/helpers/wait.js';
import { deviceEvent, watchDevices } from './live-devices.js';
import { LiveHub, type LiveEvent } from './live-events.js';
import { withOrderEvents } from './live-orders.js';
import { livePublisher, relayToHub } from './live-relay.js';
import { redisStore, REDIS_URL, seedOrder } from '../http/test-store.js';
import { testApi, TOKENS } from '../http/test-app.js';

const ROOT = 'streetwatch/v1';
const logger = pino({ level: 'silent' });
const AT = '2026-11-26T08:00:00.000Z';
const status = (deviceId: string, state: 'online' | 'offline') => ({ v: 1, deviceId, state, at: AT });

describe('order events', () => {
  const own = redisStore();
  afterAll(() => own.close());

  it('reports every write of an order, and no read', async () => {
    const events: LiveEvent[] = [];
    const store = withOrderEvents(own.store, (e) => events.push(e));
    const o = await seedOrder(store, { discoveredAt: AT, state: 'resolved' });
    expect(events.map((e) => e.kind === 'order' && e.order.state)).toEqual(['dispatched', 'accepted', 'on_site', 'resolved']);
    expect(events.every((e) => e.kind === 'order' && e.order.id === o.id)).toBe(true);
    await store.get(o.id);
    await store.list({}, { offset: 0, limit: 10 });
    await store.setSla(o.id, 'red'); // a no-op on a closed order still says what the order is
    expect(events).toHaveLength(5);
  });
});

describe('Redis relay', () => {
  it('carries events from a publishing process to another process’s hub', async () => {
    const prefix = `{swlive-${randomBytes(4).toString('hex')}}`;
    const pub = new Redis(REDIS_URL);
    const hub = new LiveHub(logger);
    const got: LiveEvent[] = [];
    hub.subscribe((e) => got.push(e));
    const stop = await relayToHub(new Redis(REDIS_URL), prefix, hub, logger);
    const other = await relayToHub(new Redis(REDIS_URL), `${prefix}x`, new LiveHub(logger), logger);
    try {
      const event: LiveEvent = { kind: 'device', deviceId: 'box-1', receivedAt: AT, status: status('box-1', 'online') as never };
      livePublisher(pub, prefix, logger)(event);
      livePublisher(pub, `${prefix}x`, logger)({ ...event, deviceId: 'not-mine' });
      await waitFor(() => got.length >= 1, 'relayed event');
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([event]);
    } finally {
      await stop();
      await other();
      pub.disconnect();
    }
  });
});

describe('device events', () => {
  const msg = (o: unknown) => Buffer.from(JSON.stringify(o));
  const at = new Date(AT);

  it('passes on valid status, telemetry and config reports, and nothing else', () => {
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-1'), msg(status('box-1', 'offline')), at)).toEqual({ kind: 'device', deviceId: 'box-1', receivedAt: AT, status: status('box-1', 'offline') });
    const moved = { ...status('box-1', 'online'), cameras: [{ cameraId: 'cam-1', state: 'connected', alerts: [{ kind: 'camera_moved', since: AT }] }] };
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-1'), msg(moved), at)).toEqual({ kind: 'device', deviceId: 'box-1', receivedAt: AT, status: moved });
    const report = { v: 1, deviceId: 'box-1', version: 3, status: 'applied', at: AT };
    expect(deviceEvent(ROOT, topics.configReported(ROOT, 'box-1'), msg(report), at)).toMatchObject({ configReported: report });
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-2'), msg(status('box-1', 'online')), at)).toBeNull();
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-1'), msg({ v: 1, deviceId: 'box-1', state: 'sleepy', at: AT }), at)).toBeNull();
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-1'), Buffer.from('{nope'), at)).toBeNull();
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-1'), Buffer.alloc(0), at)).toBeNull();
    expect(deviceEvent(ROOT, topics.detections(ROOT, 'box-1', 'cam-1'), msg({}), at)).toBeNull();
  });

  it('passes on nothing the ingest would refuse: nesting beyond the contract, a clock far ahead', () => {
    const deep = `{"v":1,"deviceId":"box-1","version":0,"status":"applied","at":"${AT}","running":{"cameras":[{"id":"cam-1","zones":[${'['.repeat(40_000)}${']'.repeat(40_000)}]}]}}`;
    expect(deviceEvent(ROOT, topics.configReported(ROOT, 'box-1'), Buffer.from(deep), at)).toBeNull();
    const later = { ...status('box-1', 'online'), at: new Date(at.getTime() + 60 * 60_000).toISOString() };
    expect(deviceEvent(ROOT, topics.status(ROOT, 'box-1'), msg(later), at)).toBeNull();
  });

  it('hears them from the broker, retained ones included', async () => {
    const broker = await startAedes();
    const box = await connectAsync(broker.url);
    const center = await connectAsync(broker.url);
    try {
      await box.publishAsync(topics.status(ROOT, 'box-1'), JSON.stringify(status('box-1', 'online')), { qos: 1, retain: true });
      const got: LiveEvent[] = [];
      await watchDevices(center, ROOT, (e) => got.push(e), logger);
      await waitFor(() => got.length === 1, 'retained status');
      await box.publishAsync(topics.status(ROOT, 'box-1'), JSON.stringify(status('box-1', 'offline')), { qos: 1 });
      await waitFor(() => got.length === 2, 'live status');
      expect(got.map((e) => e.kind === 'device' && e.status?.state)).toEqual(['online', 'offline']);
    } finally {
      await box.endAsync();
      await center.endAsync();
      await broker.stop();
    }
  });
});

describe('LiveHub', () => {
  it('a stream that cannot write an event misses it; the other streams and the emitter carry on', () => {
    const logged: unknown[] = [];
    const hub = new LiveHub(pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) }));
    const got: string[] = [];
    hub.subscribe(() => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    hub.subscribe((e) => got.push(e.kind === 'device' ? e.deviceId : e.kind));
    expect(() => hub.emit({ kind: 'device', deviceId: 'box-1', receivedAt: AT })).not.toThrow();
    expect(got).toEqual(['box-1']);
    expect(logged).toEqual([expect.objectContaining({ kind: 'device', deviceId: 'box-1', msg: 'console: live event dropped for a stream', err: expect.objectContaining({ message: 'Maximum call stack size exceeded' }) })]);
  });
});

describe('GET /api/events', () => {
  const hub = new LiveHub(logger);
  const { app, close } = testApi({ deps: { live: hub } });
  afterAll(() => close());

  it('streams events to a signed-in client until the server closes', async () => {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const res = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${TOKENS.officer}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) return false;
        text += Buffer.from(value).toString();
      }
      return true;
    };
    await read(': hello nick');
    await waitFor(() => hub.size === 1, 'subscribed stream');
    hub.emit({ kind: 'device', deviceId: 'box-1', receivedAt: AT });
    expect(await read(`"receivedAt":"${AT}"}\n\n`)).toBe(true);
    expect(text).toContain(`event: device\ndata: {"kind":"device","deviceId":"box-1","receivedAt":"${AT}"}\n\n`);
    expect(text).toMatch(/^retry: \d+\n/);
    const closing = app.close();
    expect(await read('never sent')).toBe(false); // the stream ends, so the close does not hang on it
    await closing;
    expect(hub.size).toBe(0);
  });
});

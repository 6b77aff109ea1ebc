/** Against real brokers: Mosquitto on 127.0.0.1:1883 and an embedded aedes we can kill and revive. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import type { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.js';
import { startAedes, type AedesHandle } from '../../test/helpers/aedes-broker.js';
import { MqttLink, type MqttLinkOptions } from './mqtt-link.js';
import { Spool, type MessageKind, type SpoolMessage } from './spool.js';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

// Everything a test opens is closed afterwards, even when it fails.
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const uid = () => randomBytes(5).toString('hex');

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function subscriber(url: string, filter: string, extra: Parameters<typeof connectAsync>[1] = {}) {
  const got: Received[] = [];
  const client = await connectAsync(url, { reconnectPeriod: 100, ...extra });
  client.on('message', (topic, payload, packet) => got.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  cleanups.push(() => client.endAsync(true));
  return { client, got };
}

async function openSpool(): Promise<Spool> {
  const dir = tempDir('sw-link-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return Spool.open(dir, { maxBytes: 16 << 20, fsync: false });
}

function makeLink(root: string, spool: Spool, opts: Partial<MqttLinkOptions> = {}): MqttLink {
  const link = new MqttLink({
    url: MOSQUITTO,
    clientId: `swtest-${uid()}`,
    keepaliveSeconds: 5,
    statusTopic: `${root}/status`,
    online: () => JSON.stringify({ state: 'online' }),
    offline: () => JSON.stringify({ state: 'offline' }),
    spool,
    reconnect: { initialMs: 100, maxMs: 400 },
    ...opts,
  });
  cleanups.push(() => link.close(1000));
  return link;
}

/** Retained messages would outlive the test on the shared Mosquitto; an empty retained payload clears them. */
function clearRetainedAfter(...topics: string[]): void {
  cleanups.push(async () => {
    const c = await connectAsync(MOSQUITTO);
    for (const t of topics) await c.publishAsync(t, Buffer.alloc(0), { qos: 1, retain: true });
    await c.endAsync();
  });
}

const data = (root: string, i: number, kind: MessageKind = 'detection', size = 64): SpoolMessage => ({
  topic: `${root}/${kind}`,
  payload: Buffer.concat([Buffer.from(`#${i}:`), randomBytes(size)]),
  qos: 1,
  retain: false,
  kind,
});

/** First occurrence of each payload, in arrival order: a QoS 1 redelivery is allowed, a gap is not. */
function firstSeen(got: readonly { payload: Buffer }[]): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (const { payload } of got) {
    const key = payload.toString('hex');
    if (!seen.has(key)) out.push(payload);
    seen.add(key);
  }
  return out;
}

describe('MqttLink against Mosquitto', () => {
  it('delivers in order with exact bytes, announces status, takes config and flushes on close', async () => {
    const root = `swtest/${uid()}`;
    clearRetainedAfter(`${root}/status`, `${root}/config/desired`);
    const sub = await subscriber(MOSQUITTO, `${root}/#`);
    // Desired config is retained before the device connects, as the centre would leave it.
    await sub.client.publishAsync(`${root}/config/desired`, '{"rev":7}', { qos: 1, retain: true });

    const config: string[] = [];
    const states: string[] = [];
    const link = makeLink(root, await openSpool(), {
      subscriptions: [`${root}/config/desired`],
      onMessage: (topic, payload) => config.push(`${topic} ${payload.toString()}`),
    });
    link.on('connected', () => states.push('connected'));

    const sent = [
      data(root, 1, 'telemetry'),
      data(root, 2, 'detection'),
      { ...data(root, 3, 'evidence', 200_000), topic: `${root}/evidence/ev3` }, // a JPEG-sized binary
      { ...data(root, 4, 'sensor'), qos: 0 as const },
      ...Array.from({ length: 30 }, (_, i) => data(root, 5 + i, 'detection')),
    ];
    for (const m of sent) expect(await link.publish(m)).toBe(true);

    await waitFor('all messages', () => sub.got.filter((r) => !r.topic.endsWith('/status') && !r.topic.includes('/config/')).length >= sent.length);
    const msgs = sub.got.filter((r) => !r.topic.endsWith('/status') && !r.topic.includes('/config/'));
    expect(msgs.map((r) => r.topic)).toEqual(sent.map((m) => m.topic));
    msgs.forEach((r, i) => expect(r.payload.equals(sent[i].payload), `message ${i + 1} bytes`).toBe(true));

    await waitFor('config delivered', () => config.length > 0);
    expect(config).toEqual([`${root}/config/desired {"rev":7}`]);
    expect(states).toEqual(['connected']);
    expect(sub.got.find((r) => r.topic === `${root}/status`)?.payload.toString()).toBe('{"state":"online"}');
    await waitFor('spool drained', () => link.stats().spool.messages === 0);
    expect(link.stats()).toMatchObject({ connected: true, inflight: 0, published: sent.length });

    await link.close(2000);
    await waitFor('offline status', () => sub.got.some((r) => r.topic === `${root}/status` && r.payload.toString().includes('offline')));
    await expect(link.publish(data(root, 99))).rejects.toMatchObject({ code: 'MQTT_CLOSED' });
    // Retained: a late subscriber learns the device is offline.
    const late = await subscriber(MOSQUITTO, `${root}/status`);
    await waitFor('retained status', () => late.got.length > 0);
    expect(late.got[0]).toMatchObject({ retain: true });
    expect(late.got[0].payload.toString()).toBe('{"state":"offline"}');
  });

  it('sends what an earlier run left in the spool first, then new messages', async () => {
    const root = `swtest/${uid()}`;
    clearRetainedAfter(`${root}/status`);
    const spool = await openSpool();
    const old = [1, 2, 3].map((i) => data(root, i));
    for (const m of old) await spool.append(m); // queued while there was no link, e.g. before a reboot
    const sub = await subscriber(MOSQUITTO, `${root}/detection`);

    const link = makeLink(root, spool);
    const fresh = data(root, 4);
    await link.publish(fresh);
    await waitFor('4 messages', () => sub.got.length >= 4);
    expect(sub.got.map((r) => r.payload)).toEqual([...old, fresh].map((m) => m.payload));
    await waitFor('spool drained', () => spool.stats().messages === 0);
  });

  it('rejects a wildcard topic instead of letting it block the spool', async () => {
    const root = `swtest/${uid()}`;
    clearRetainedAfter(`${root}/status`);
    const spool = await openSpool();
    const link = makeLink(root, spool);
    await expect(link.publish({ ...data(root, 1), topic: `${root}/+/x` })).rejects.toMatchObject({ code: 'MQTT_BAD_TOPIC' });
    expect(spool.stats().messages).toBe(0);
  });

  it('Last Will: a dropped connection leaves a retained offline status', async () => {
    const root = `swtest/${uid()}`;
    clearRetainedAfter(`${root}/status`);
    const proxy = await tcpProxy(1883);
    cleanups.push(() => proxy.close());
    const sub = await subscriber(MOSQUITTO, `${root}/status`);
    const link = makeLink(root, await openSpool(), { url: `mqtt://127.0.0.1:${proxy.port}` });
    const disconnected: unknown[] = [];
    link.on('disconnected', (reason) => disconnected.push(reason));
    await waitFor('online', () => sub.got.some((r) => r.payload.toString().includes('online')));

    await proxy.close(); // the network goes: sockets destroyed, no DISCONNECT sent, no way back
    await waitFor('will', () => sub.got.some((r) => r.payload.toString().includes('offline')));
    await waitFor('disconnected event', () => disconnected.length === 1);
    expect(link.connected).toBe(false);

    const late = await subscriber(MOSQUITTO, `${root}/status`);
    await waitFor('retained will', () => late.got.length > 0);
    expect(late.got[0].retain).toBe(true);
    expect(late.got[0].payload.toString()).toBe('{"state":"offline"}');
  });
});

describe('MqttLink across a broker outage (aedes)', () => {
  it('spools while the broker is down and delivers every message in order after it returns', async () => {
    const root = `swtest/${uid()}`;
    const subId = `sub-${uid()}`;
    const linkId = `link-${uid()}`;
    // What the broker receives from the link, in arrival order: the link's own ordering guarantee.
    const atBroker: Buffer[] = [];
    const subReady = new WeakSet<Aedes>();
    let current: Aedes | undefined;
    const broker: AedesHandle = await startAedes({
      onStart: (b) => {
        current = b;
        b.on('publish', (pkt, client) => {
          if (client?.id === linkId && pkt.topic !== `${root}/status`) atBroker.push(Buffer.from(pkt.payload));
        });
        b.on('clientReady', (client) => client.id === subId && subReady.add(b));
      },
      options: {
        // aedes re-subscribes a resumed session before replaying its queue, so live messages can
        // overtake queued ones at the subscriber. Holding the link until the subscriber is back
        // keeps that broker effect out of a test about the link's ordering.
        authenticate: (client, _u, _p, done) => {
          if (client.id !== linkId) return done(null, true);
          const deadline = Date.now() + 5000;
          const check = () => ((current && subReady.has(current)) || Date.now() > deadline ? done(null, true) : setTimeout(check, 10));
          check();
        },
      },
    });
    cleanups.push(() => broker.stop());
    // Persistent session: what the broker got while the subscriber was away waits for it.
    const sub = await subscriber(broker.url, `${root}/#`, { clientId: subId, clean: false });
    const link = makeLink(root, await openSpool(), { url: broker.url, clientId: linkId });
    const events: string[] = [];
    link.on('connected', () => events.push('connected'));
    link.on('disconnected', () => events.push('disconnected'));
    await waitFor('link connected', () => link.connected);

    const sent: SpoolMessage[] = [];
    const send = async (from: number, to: number, gapMs: number) => {
      for (let i = from; i <= to; i++) {
        const m = data(root, i, i % 3 === 0 ? 'telemetry' : 'detection');
        sent.push(m);
        expect(await link.publish(m)).toBe(true);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    };

    await send(1, 20, 2);
    await broker.stop(); // mid-stream: some of 1..20 may be in flight
    await waitFor('link notices', () => !link.connected);
    await send(21, 40, 0);
    expect(link.stats().spool.messages).toBeGreaterThanOrEqual(20); // nowhere to go but the disk
    await broker.restart();
    await send(41, 60, 2);

    const topicMsgs = () => sub.got.filter((r) => !r.topic.endsWith('/status'));
    await waitFor('all 60 messages', () => firstSeen(topicMsgs()).length >= 60);
    expect(firstSeen(atBroker.map((payload) => ({ payload })))).toEqual(sent.map((m) => m.payload));
    expect(firstSeen(topicMsgs())).toEqual(sent.map((m) => m.payload));
    await waitFor('spool drained', () => link.stats().spool.messages === 0);
    expect(link.stats()).toMatchObject({ connected: true, connects: 2, inflight: 0 });
    expect(events).toEqual(['connected', 'disconnected', 'connected']);
    await waitFor('online after restart', () => sub.got.filter((r) => r.payload.toString() === '{"state":"online"}').length >= 2);
  });
});

/** A TCP relay to a broker; close() cuts every connection abruptly, like a network failure. */
async function tcpProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((down) => {
    const up = netConnect(targetPort, '127.0.0.1');
    track(down);
    track(up);
    down.pipe(up);
    up.pipe(down);
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    close(): Promise<void> {
      closed ??= new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}

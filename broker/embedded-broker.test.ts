/**
 * The embedded broker against real Redis and real mqtt.js clients over TCP, TLS and WebSocket.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubscriptions, topics } from '../contract/index.js';
import { DeviceRegistry, type DeviceCredentials } from './device-registry.js';
import { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerConfig } from './embedded-broker.js';
import { captureLogger, connectClient, dropPrefix, grantedQos, nextMessage, REDIS_URL, testPrefix, waitFor } from './test-support.js';

const root = 'streetwatch/v1';
const MAX = 64 * 1024;
const prefix = testPrefix();
const config = (over: Partial<EmbeddedBrokerConfig> = {}): EmbeddedBrokerConfig => ({
  port: 0,
  host: '127.0.0.1',
  username: 'streetwatch-center',
  maxMessageBytes: MAX,
  rootTopic: root,
  ...over,
});

let redis: Redis;
let registry: DeviceRegistry;
let certDir: string;
const creds: Record<string, DeviceCredentials> = {};
const clients: MqttClient[] = [];
const track = (c: MqttClient) => (clients.push(c), c);

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  registry = new DeviceRegistry(redis, prefix);
  for (const id of ['pole-1', 'pole-2', 'pole-10', 'pole-rev', 'pole-kick', 'pole-p']) creds[id] = await registry.add(id);
  certDir = mkdtempSync(join(tmpdir(), 'sw-broker-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'),
  ], { stdio: 'ignore' });
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await dropPrefix(redis, prefix);
  redis.disconnect();
  rmSync(certDir, { recursive: true, force: true });
});

const refusal = async (p: Promise<unknown>) => {
  const err = (await p.then(() => null, (e: unknown) => e)) as { code?: number; message: string } | null;
  expect(err, 'expected the connection to be refused').not.toBeNull();
  return err!;
};
const closed = (c: MqttClient) => new Promise<void>((r) => (c.connected ? c.once('close', () => r()) : r()));

describe('embedded broker', () => {
  let broker: EmbeddedBroker;
  let center: MqttClient;
  const { logger, lines } = captureLogger();
  const device = (id: string, opts = {}) => connectClient(broker.url, { username: id, password: creds[id].password, ...opts }).then(track);

  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      config: config({ wsPort: 0, tls: { port: 0, keyFile: join(certDir, 'key.pem'), certFile: join(certDir, 'cert.pem') } }),
      registry,
      redis: { url: REDIS_URL, prefix },
      logger,
      revocationCheckMs: 200,
    });
    center = track(await connectClient(broker.url, { username: broker.center.username, password: broker.center.password, clientId: `centre-${prefix}` }));
    await center.subscribeAsync(centerSubscriptions(root), { qos: 1 });
  });

  afterAll(async () => {
    await broker.close();
  });

  it('generates the centre password when the config has none, and refuses a wrong one', async () => {
    expect(broker.center.password.length).toBeGreaterThanOrEqual(32);
    const err = await refusal(connectClient(broker.url, { username: 'streetwatch-center', password: 'guess' }));
    expect(err.code).toBe(4);
  });

  it('speaks MQTT 3.1.1 only: an MQTT 5 client is refused (aedes 1.x), so centre clients use protocolVersion 4', async () => {
    const err = await refusal(connectClient(broker.url, { protocolVersion: 5, username: broker.center.username, password: broker.center.password }));
    expect(err.code).toBe(1); // unacceptable protocol version
  });

  it('lets a device with the right password publish under its prefix; the centre receives it', async () => {
    const pole = await device('pole-1');
    const got = nextMessage(center, topics.status(root, 'pole-1'));
    await pole.publishAsync(topics.status(root, 'pole-1'), '{"online":true}', { qos: 1 });
    expect((await got)?.payload.toString()).toBe('{"online":true}');
    expect(broker.stats().clients).toBeGreaterThanOrEqual(2);
    await waitFor(async () => (await registry.get('pole-1'))?.lastSeenAt !== undefined);
  });

  it('refuses a wrong password at CONNECT with "bad username or password", counted and logged', async () => {
    const before = broker.stats().denied.connect;
    const err = await refusal(connectClient(broker.url, { username: 'pole-1', password: 'nope', clientId: 'wrong-pw-client' }));
    expect(err.code).toBe(4);
    expect(err.message).toMatch(/Bad username or password/i);
    expect(broker.stats().denied.connect).toBe(before + 1);
    expect(lines.some((l) => l.msg === 'mqtt connect refused' && l.clientId === 'wrong-pw-client')).toBe(true);
    expect((await refusal(connectClient(broker.url, { username: 'ghost', password: 'x' }))).code).toBe(4);
    expect((await refusal(connectClient(broker.url, {}))).code).toBe(4);
  });

  it('refuses a revoked device at CONNECT, even right after it connected fine', async () => {
    const ok = await device('pole-rev');
    ok.end(true);
    await registry.revoke('pole-rev');
    const err = await refusal(device('pole-rev'));
    expect(err.code).toBe(4);
  });

  it("drops a publish under another device's prefix: never delivered, counted, logged, connection closed", async () => {
    for (const target of ['pole-2', 'pole-10']) {
      const pole = await device('pole-1', { clientId: `pole-1-bad-${target}` });
      const before = broker.stats().denied.publish;
      const got = nextMessage(center, topics.status(root, target), 700);
      const gone = closed(pole);
      pole.publish(topics.status(root, target), 'spoofed', { qos: 1 });
      await gone;
      expect(await got).toBeNull();
      expect(broker.stats().denied.publish).toBe(before + 1);
      expect(lines.some((l) => l.msg?.toString().startsWith('mqtt publish refused') && l.clientId === `pole-1-bad-${target}` && l.identity === 'device:pole-1')).toBe(true);
    }
  });

  it("refuses a device publishing the centre's desired config", async () => {
    const pole = await device('pole-1');
    const before = broker.stats().denied.publish;
    const gone = closed(pole);
    pole.publish(topics.configDesired(root, 'pole-1'), '{}', { qos: 1 });
    await gone;
    expect(broker.stats().denied.publish).toBe(before + 1);
  });

  it("grants a device its own config topic and refuses another device's (QoS 128)", async () => {
    const pole = await device('pole-1');
    const before = broker.stats().denied.subscribe;
    const granted = await grantedQos(pole, [topics.configDesired(root, 'pole-1'), topics.configDesired(root, 'pole-2'), topics.configDesired(root, 'pole-10')]);
    expect(granted).toEqual([1, 128, 128]);
    expect(broker.stats().denied.subscribe).toBe(before + 2);
    expect(lines.some((l) => l.msg === 'mqtt subscription refused' && l.identity === 'device:pole-1' && l.topic === topics.configDesired(root, 'pole-2'))).toBe(true);
    const other = await device('pole-2');
    expect(await grantedQos(other, [`${root}/+/config/desired`, '#', `$share/g/${root}/pole-2/config/desired`, '$SYS/#'])).toEqual([128, 128, 128, 128]);
    expect(other.connected).toBe(true); // a refused subscription does not cost the connection
    // the centre's config reaches pole-1 only
    const mine = nextMessage(pole, topics.configDesired(root, 'pole-1'));
    await center.publishAsync(topics.configDesired(root, 'pole-1'), '{"v":2}', { qos: 1 });
    expect((await mine)?.payload.toString()).toBe('{"v":2}');
  });

  it('refuses an oversized publish from a device, and cuts a huge one before buffering it', async () => {
    const topic = topics.detections(root, 'pole-1', 'cam-a');
    for (const size of [MAX + 1, MAX * 4]) {
      const pole = await device('pole-1', { clientId: `pole-1-big-${size}` });
      const before = broker.stats().denied;
      const got = nextMessage(center, topic, 700);
      const gone = closed(pole);
      pole.publish(topic, Buffer.alloc(size, 7), { qos: 1 });
      await gone;
      expect(await got).toBeNull();
      expect(broker.stats().denied.oversized).toBe(before.oversized + 1);
      expect(broker.stats().denied.publish).toBe(before.publish + 1);
      if (size > MAX + 65_536) {
        // cut by the frame guard from the length header, not parsed in full
        expect(lines.some((l) => l.msg === 'mqtt packet too large; closing the connection' && l.clientId === `pole-1-big-${size}`)).toBe(true);
      }
    }
    // exactly at the limit is fine
    const pole = await device('pole-1');
    const got = nextMessage(center, topic);
    await pole.publishAsync(topic, Buffer.alloc(MAX, 7), { qos: 1 });
    expect((await got)?.payload.length).toBe(MAX);
  });

  it('refuses a will on a topic the device may not publish (not authorized)', async () => {
    const err = await refusal(device('pole-1', { will: { topic: topics.status(root, 'pole-2'), payload: Buffer.from('x'), qos: 1, retain: true } }));
    expect(err.code).toBe(5);
    const willOpts = { will: { topic: topics.status(root, 'pole-1'), payload: Buffer.from('offline'), qos: 1 as const, retain: false } };
    // a clean DISCONNECT discards the will
    const polite = await device('pole-1', willOpts);
    const none = nextMessage(center, topics.status(root, 'pole-1'), 500);
    await polite.endAsync();
    expect(await none).toBeNull();
    const ok = await device('pole-1', willOpts);
    const will = nextMessage(center, topics.status(root, 'pole-1'));
    ok.stream.destroy(); // ungraceful: the broker publishes the will
    expect((await will)?.payload.toString()).toBe('offline');
  });

  it("refuses a device that takes another identity's client id; the owner stays connected", async () => {
    const persistent = track(await connectClient(broker.url, {
      username: broker.center.username, password: broker.center.password, clientId: `ingest-${prefix}`, clean: false,
    }));
    const err = await refusal(device('pole-2', { clientId: `ingest-${prefix}`, clean: false }));
    expect(err.code).toBe(2);
    expect(persistent.connected).toBe(true);
    persistent.end(true);
    // still refused once the owner is offline: the session (and its queue) stays the centre's
    await waitFor(() => !persistent.connected);
    expect((await refusal(device('pole-2', { clientId: `ingest-${prefix}`, clean: true }))).code).toBe(2);
    // a device's own persistent session is its own to resume
    const mine = await device('pole-2', { clientId: `edge-pole-2-${prefix}`, clean: false });
    await mine.endAsync();
    (await device('pole-2', { clientId: `edge-pole-2-${prefix}`, clean: false })).end(true);
  });

  it('never logs a password', () => {
    const text = JSON.stringify(lines);
    for (const c of Object.values(creds)) expect(text).not.toContain(c.password);
    expect(text).not.toContain(broker.center.password);
  });

  it('closes the connections of a device whose revoke it did not hear announced, at its periodic check', async () => {
    const pole = await device('pole-kick');
    const gone = closed(pole);
    // Revoked in Redis without the announcement (as if the broker's watch had been down).
    await redis.hset(`${prefix}:device:pole-kick`, 'revokedAt', new Date().toISOString());
    await gone;
    expect(lines.some((l) => l.msg === 'device revoked; closing its connection' && l.deviceId === 'pole-kick')).toBe(true);
  });

  it('maps a centre $share subscription to a plain one (aedes has none)', async () => {
    const sub = track(await connectClient(broker.url, { username: broker.center.username, password: broker.center.password }));
    const [g] = await sub.subscribeAsync(`$share/ingest/${root}/+/telemetry`, { qos: 1 });
    expect(g.qos).toBe(1);
    const pole = await device('pole-2');
    const got = nextMessage(sub, topics.telemetry(root, 'pole-2'));
    await pole.publishAsync(topics.telemetry(root, 'pole-2'), '{}', { qos: 1 });
    expect(await got).not.toBeNull();
  });

  it('serves MQTT over WebSocket', async () => {
    expect(broker.wsUrl).toBeDefined();
    const pole = track(await connectClient(broker.wsUrl!, { username: 'pole-2', password: creds['pole-2'].password }));
    const got = nextMessage(center, topics.telemetry(root, 'pole-2'));
    await pole.publishAsync(topics.telemetry(root, 'pole-2'), '{"ws":true}', { qos: 1 });
    expect((await got)?.payload.toString()).toBe('{"ws":true}');
    const err = await refusal(connectClient(broker.wsUrl!, { username: 'pole-2', password: 'wrong' }));
    expect(err.code).toBe(4);
  });

  it('serves MQTT over TLS to a client that trusts the certificate', async () => {
    expect(broker.tlsUrl).toBe(`mqtts://127.0.0.1:${broker.tlsPort}`);
    const ca = readFileSync(join(certDir, 'cert.pem'));
    const pole = track(await connectClient(broker.tlsUrl!, { username: 'pole-10', password: creds['pole-10'].password, ca }));
    const got = nextMessage(center, topics.status(root, 'pole-10'));
    await pole.publishAsync(topics.status(root, 'pole-10'), 'tls', { qos: 1 });
    expect((await got)?.payload.toString()).toBe('tls');
    // without the CA the handshake fails
    await refusal(connectClient(broker.tlsUrl!, { username: 'pole-10', password: creds['pole-10'].password }));
  });
});

describe('revocations', () => {
  it('closes every connection of a device revoked by another process at once, without a periodic check', async () => {
    const { logger, lines } = captureLogger();
    const broker = await startEmbeddedBroker({ config: config(), registry, redis: { url: REDIS_URL, prefix }, logger, revocationCheckMs: 0 });
    const cli = new Redis(REDIS_URL); // `streetwatch device revoke` runs elsewhere, on its own connection
    try {
      const { password } = await registry.add('pole-now');
      const poles = await Promise.all(['a', 'b'].map((c) => connectClient(broker.url, { username: 'pole-now', password, clientId: `pole-now-${c}` }).then(track)));
      const bystander = await connectClient(broker.url, { username: 'pole-1', password: creds['pole-1'].password }).then(track);
      const closedAt = Promise.race([Promise.all(poles.map(closed)).then(() => Date.now()), sleep(2000).then(() => null)]);
      const revokedAt = Date.now();
      await new DeviceRegistry(cli, prefix).revoke('pole-now');
      expect(await closedAt, 'still connected 2 s after the revoke').not.toBeNull();
      expect((await closedAt)! - revokedAt).toBeLessThan(1000);
      expect(lines.filter((l) => l.msg === 'device revoked; closing its connection').map((l) => l.clientId).sort()).toEqual(['pole-now-a', 'pole-now-b']);
      expect(bystander.connected).toBe(true);
    } finally {
      cli.disconnect();
      await broker.close();
    }
  });
});

describe('persistence in Redis', () => {
  it('keeps retained messages and the queued QoS 1 messages of a persistent session across a restart', async () => {
    const { logger } = captureLogger();
    const start = () =>
      startEmbeddedBroker({ config: config({ password: 'centre-secret-123' }), registry, redis: { url: REDIS_URL, prefix }, logger, revocationCheckMs: 0 });
    const centerOpts = { username: 'streetwatch-center', password: 'centre-secret-123' };
    const ingestId = `ingest-persist-${prefix}`;

    const first = await start();
    const ingest = await connectClient(first.url, { ...centerOpts, clientId: ingestId, clean: false });
    await ingest.subscribeAsync(`${root}/+/+/detections`, { qos: 1 });
    await ingest.endAsync();

    const pole = await connectClient(first.url, { username: 'pole-p', password: creds['pole-p'].password });
    await pole.publishAsync(topics.status(root, 'pole-p'), 'online', { qos: 1, retain: true });
    await pole.publishAsync(topics.detections(root, 'pole-p', 'cam-a'), 'queued-1', { qos: 1 });
    await pole.endAsync();
    await first.close();

    const second = await start();
    try {
      expect(second.port).not.toBe(first.port);
      // listen before CONNACK: the queued message follows it at once
      const back = track(mqtt.connect(second.url, { ...centerOpts, clientId: ingestId, clean: false, protocolVersion: 4, reconnectPeriod: 0 }));
      const queued = nextMessage(back, topics.detections(root, 'pole-p', 'cam-a'));
      const connack = await new Promise<{ sessionPresent: boolean }>((r) => back.once('connect', r));
      expect(connack.sessionPresent).toBe(true);
      expect((await queued)?.payload.toString()).toBe('queued-1');

      const watcher = track(await connectClient(second.url, centerOpts));
      const retained = nextMessage(watcher, topics.status(root, 'pole-p'));
      await watcher.subscribeAsync(`${root}/+/status`, { qos: 1 });
      const got = await retained;
      expect(got?.payload.toString()).toBe('online');
      expect(got?.retain).toBe(true);
      // broker keys live under the prefix, not bare `retained`/`clients`
      expect(await redis.exists(`${prefix}:mqtt:retained`)).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe('start and close', () => {
  it('fails fast with a clear error when Redis is unreachable', async () => {
    const t = Date.now();
    const err = await startEmbeddedBroker({
      config: config(), registry, redis: { url: 'redis://127.0.0.1:1', prefix }, logger: captureLogger().logger,
    }).then(() => null, (e: unknown) => e as { code: string; message: string });
    expect(err?.code).toBe('BROKER_REDIS_UNAVAILABLE');
    expect(err?.message).toMatch(/redis-server --daemonize yes/);
    expect(Date.now() - t).toBeLessThan(3000);
  });

  it('reports a taken port as BROKER_LISTEN and releases what it opened', async () => {
    const a = await startEmbeddedBroker({ config: config(), registry, redis: { url: REDIS_URL, prefix }, logger: captureLogger().logger });
    try {
      const err = await startEmbeddedBroker({ config: config({ port: a.port }), registry, redis: { url: REDIS_URL, prefix }, logger: captureLogger().logger })
        .then(() => null, (e: unknown) => e as { code: string });
      expect(err?.code).toBe('BROKER_LISTEN');
    } finally {
      await a.close();
    }
  });

  it('close() ends every connection and frees the ports', async () => {
    const b = await startEmbeddedBroker({ config: config({ wsPort: 0 }), registry, redis: { url: REDIS_URL, prefix }, logger: captureLogger().logger });
    const c = await connectClient(b.url, { username: b.center.username, password: b.center.password });
    const w = await connectClient(b.wsUrl!, { username: b.center.username, password: b.center.password });
    const gone = Promise.all([closed(c), closed(w)]);
    await b.close();
    await gone;
    await b.close(); // idempotent
    const refused = await new Promise<boolean>((resolve) => {
      const s = createConnection(b.port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    c.end(true);
    w.end(true);
  });
});

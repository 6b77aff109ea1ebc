/** Web Push against real Redis and a local HTTP server standing in for the browsers' push service. */
import { createECDH, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { REDIS_URL } from '../center/http/test-store.js';
import { orderNotice, pushRecipients, WebPushService, type PushSubscription } from './web-push.js';

const b64url = (b: Buffer) => b.toString('base64url');

/** What a browser would hand over: its endpoint, an ECDH P-256 public key and an auth secret. */
function browserSubscription(endpoint: string): PushSubscription {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint, keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(randomBytes(16)) } };
}

describe('WebPushService', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `{swpush-${randomBytes(4).toString('hex')}}`;
  const logger = createLogger('web-push-test');
  const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  let server: Server;
  let base: string;
  let agent: Agent;

  beforeAll(async () => {
    // Push services speak https only: a self-signed certificate for 127.0.0.1, trusted through the agent.
    const dir = mkdtempSync(join(tmpdir(), 'sw-push-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(join(dir, 'cert.pem'));
    rmSync(dir, { recursive: true, force: true });
    agent = new Agent({ ca: cert });
    server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(req.url === '/gone' ? 410 : 201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('makes one VAPID key pair for every process', async () => {
    const [a, b] = await Promise.all([new WebPushService(redis, prefix, 'mailto:ops@example.org', logger).keys(), new WebPushService(redis, prefix, 'mailto:ops@example.org', logger).keys()]);
    expect(a).toEqual(b);
    expect(a.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(JSON.parse((await redis.get(`${prefix}:push-vapid`))!)).toEqual(a);
  });

  it('sends a signed, encrypted notice to each browser of the officers, and drops subscriptions the push service says are gone', async () => {
    const push = new WebPushService(redis, prefix, 'mailto:ops@example.org', logger, agent);
    const { publicKey } = await push.keys();
    await push.subscribe('o-1', browserSubscription(`${base}/phone`));
    await push.subscribe('o-1', browserSubscription(`${base}/gone`));
    await push.subscribe('o-2', browserSubscription(`${base}/other-officer`));
    const notice = orderNotice({ id: 'ORDER-1', type: 'illegal_parking', zoneId: 'z1', location: { lat: 32, long: 118, address: '中山路 1 号' } });
    expect(notice).toMatchObject({ body: '中山路 1 号', orderId: 'ORDER-1' });

    expect(await push.notify(['o-1'], notice)).toBe(1);
    expect(received.map((r) => r.path).sort()).toEqual(['/gone', '/phone']);
    const phone = received.find((r) => r.path === '/phone')!;
    expect(phone.headers['content-encoding']).toBe('aes128gcm');
    expect(phone.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${publicKey}$`));
    expect(Number(phone.headers.ttl)).toBeGreaterThan(0);
    // Encrypted: the order id is not readable on the way.
    expect(phone.body.length).toBeGreaterThan(0);
    expect(phone.body.includes(Buffer.from('ORDER-1'))).toBe(false);
    expect((await push.subscriptions('o-1')).map((s) => s.endpoint)).toEqual([`${base}/phone`]);
    expect(await push.unsubscribe('o-1', `${base}/phone`)).toBe(true);
    expect(await push.unsubscribe('o-1', `${base}/phone`)).toBe(false);
  });

  it('tells the order\'s officer, or the whole team while it has none', () => {
    expect(pushRecipients({ assignee: 'o-1' }, ['o-1', 'o-2'])).toEqual(['o-1']);
    expect(pushRecipients({ assignee: null }, ['o-1', 'o-2'])).toEqual(['o-1', 'o-2']);
  });
});

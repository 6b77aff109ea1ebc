import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { postWebhook, signBody, verifySignature, WebhookError } from './webhook.js';

const SECRET = 'test-secret-0001';

describe('signatures', () => {
  const body = JSON.stringify({ kind: 'order', plate: '苏ED51712' });

  it('round-trips', () => {
    const sig = signBody(SECRET, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, body, sig)).toBe(true);
    expect(verifySignature(SECRET, Buffer.from(body, 'utf8'), sig)).toBe(true);
  });

  it('is plain HMAC-SHA256 over the body bytes (a published test vector)', () => {
    // The widely published example (e.g. Wikipedia, "HMAC"): key "key", the pangram as message.
    expect(signBody('key', 'The quick brown fox jumps over the lazy dog')).toBe('sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });

  it('detects tampering, a wrong secret and bad headers', () => {
    const sig = signBody(SECRET, body);
    expect(verifySignature(SECRET, body.replace('D51712', 'D51713'), sig)).toBe(false);
    expect(verifySignature('another-secret', body, sig)).toBe(false);
    expect(verifySignature(SECRET, body, sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBe(false);
    expect(verifySignature(SECRET, body, sig.slice(0, -2))).toBe(false);
    expect(verifySignature(SECRET, body, undefined)).toBe(false);
    expect(verifySignature(SECRET, body, [sig])).toBe(false);
    expect(verifySignature(SECRET, body, 'sha1=abc')).toBe(false);
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function receiver(respond: (req: Received) => { status: number; delayMs?: number; headers?: Record<string, string> }): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, raw: Buffer.concat(chunks) };
      got.push(r);
      const { status, delayMs = 0, headers = {} } = respond(r);
      setTimeout(() => res.writeHead(status, headers).end('ok'), delayMs);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('postWebhook', () => {
  it('POSTs signed JSON with idempotency and event headers', async () => {
    const { url, got } = await receiver(() => ({ status: 202 }));
    const body = { kind: 'order', order: { id: 'o1', plate: { text: '苏ED51712' } } };
    const res = await postWebhook({ url, secret: SECRET, body, idempotencyKey: 'o1:order:1', event: 'order', timeoutMs: 2000 });
    expect(res.status).toBe(202);
    expect(got).toHaveLength(1);
    const [req] = got;
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('o1:order:1');
    expect(req.headers['x-streetwatch-event']).toBe('order');
    expect(verifySignature(SECRET, req.raw, req.headers['x-streetwatch-signature'])).toBe(true);
    expect(JSON.parse(req.raw.toString('utf8'))).toEqual(body);
  });

  it('throws a WebhookError carrying the status on non-2xx', async () => {
    const { url } = await receiver((r) => ({ status: r.raw.includes('missing') ? 404 : 503 }));
    const err = await postWebhook({ url, secret: SECRET, body: {}, idempotencyKey: 'k', event: 'order', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookError);
    expect((err as WebhookError).status).toBe(503);
    expect((err as WebhookError).code).toBe('WEBHOOK_FAILED');
    expect((err as WebhookError).looksPermanent).toBe(false);
    const notFound = (await postWebhook({ url, secret: SECRET, body: { missing: true }, idempotencyKey: 'k', event: 'order', timeoutMs: 2000 }).catch((e: unknown) => e)) as WebhookError;
    expect(notFound.status).toBe(404);
    expect(notFound.looksPermanent).toBe(true);
  });

  it('does not follow redirects', async () => {
    const { url, got } = await receiver(() => ({ status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' } }));
    const err = (await postWebhook({ url, secret: SECRET, body: {}, idempotencyKey: 'k', event: 'order', timeoutMs: 2000 }).catch((e: unknown) => e)) as WebhookError;
    expect(err.status).toBe(307);
    expect(got).toHaveLength(1);
  });

  it('reports a refused connection and a timeout with status null', async () => {
    const { url } = await receiver(() => ({ status: 200 }));
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
    const refused = (await postWebhook({ url, secret: SECRET, body: {}, idempotencyKey: 'k', event: 'order', timeoutMs: 2000 }).catch((e: unknown) => e)) as WebhookError;
    expect(refused).toBeInstanceOf(WebhookError);
    expect(refused.status).toBeNull();
    expect(refused.message).toMatch(/ECONNREFUSED/);

    const slow = await receiver(() => ({ status: 200, delayMs: 1500 }));
    const t0 = Date.now();
    const timedOut = (await postWebhook({ url: slow.url, secret: SECRET, body: {}, idempotencyKey: 'k', event: 'order', timeoutMs: 300 }).catch((e: unknown) => e)) as WebhookError;
    expect(timedOut.status).toBeNull();
    expect(timedOut.message).toMatch(/timed out/);
    expect(Date.now() - t0).toBeLessThan(1200);
  });

  it('fails, and does not hang, when the receiver drops the connection in the middle of its answer', async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Length': '1000' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    // A timeout far beyond the test's own: only the cut itself may settle the delivery.
    const outcome = await Promise.race([
      postWebhook({ url, secret: SECRET, body: {}, idempotencyKey: 'k', event: 'order', timeoutMs: 60_000 }).then(() => 'delivered', (e: unknown) => e),
      new Promise((r) => setTimeout(() => r('hung'), 3000)),
    ]);
    expect(outcome).toBeInstanceOf(WebhookError);
    expect((outcome as WebhookError).status).toBeNull();
  });

  it('sends again at once on a fresh socket when the receiver had closed the idle keep-alive one', async () => {
    // The receiver runs in a thread of its own and closes an idle socket after 0.1 s although it
    // announced 60 s (as a proxy in between may). It flags the close in shared memory while this
    // thread is blocked, so the FIN is not read yet: the next delivery goes out on the dead socket.
    const closed = new Int32Array(new SharedArrayBuffer(4));
    const receiverThread = new Worker(
      `const { createServer } = require('node:http');
       const { parentPort, workerData: closed } = require('node:worker_threads');
       const s = createServer((req, res) => {
         req.resume();
         req.on('end', () => { parentPort.postMessage(req.headers['idempotency-key']); res.setHeader('Keep-Alive', 'timeout=60'); res.end('ok'); });
       });
       s.on('connection', (socket) => socket.on('close', () => { Atomics.store(closed, 0, 1); Atomics.notify(closed, 0); }));
       s.keepAliveTimeout = 100;
       s.listen(0, '127.0.0.1', () => parentPort.postMessage(s.address().port));`,
      { eval: true, workerData: closed },
    );
    try {
      const got: string[] = [];
      const port = await new Promise<number>((r) => receiverThread.once('message', r));
      receiverThread.on('message', (key: string) => got.push(key));
      const url = `http://127.0.0.1:${port}/hook`;
      const post = (key: string) => postWebhook({ url, secret: SECRET, body: {}, idempotencyKey: key, event: 'order', timeoutMs: 5000 });
      expect((await post('first')).status).toBe(200);
      expect(Atomics.wait(closed, 0, 0, 30_000)).toBe('ok'); // blocks until the receiver closed the idle socket
      const second = await post('second').catch((e: unknown) => e);
      expect(second).toEqual({ status: 200 });
      await expect.poll(() => got).toEqual(['first', 'second']);
    } finally {
      await receiverThread.terminate();
    }
  });
});

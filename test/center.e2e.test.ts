/**
 * Acceptance of the centre issue: `streetwatch edge run` on the clip publishes to
 * `streetwatch center` (embedded broker, device credentials from `device add`); a real HTTP
 * receiver gets exactly two signed work orders (van and car), each once, with evidence reachable
 * through its media_url; Open311 lists them; an officer accepts and resolves one; the KPIs show it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { verifySignature } from '../ticketing/webhook.js';
import type { WorkOrder } from '../ticketing/work-order.js';
import { makeClip, sceneJpeg, tempDir } from './fixtures.js';
import { addDevice, writeKerbEdgeConfig } from './helpers/kerb-box.js';
import { AS_IN_CENTER_IMAGE, freePort, runCli, waitFor, type Cli } from './helpers/processes.js';

const SECRET = 'e2e-webhook-secret';
const OPERATOR = 'demo-operator-token-0001';
const OFFICER = 'demo-officer-token-0001';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { kind: string; order: WorkOrder };
}

describe('edge → centre → enforcement team', () => {
  const prefix = `{swe2e-${randomBytes(4).toString('hex')}}`;
  const dir = tempDir('sw-center-e2e-');
  const received: Received[] = [];
  const receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(200).end('ok');
    });
  });
  let center: Cli;
  let api: string;
  let mqttPort: number;

  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookPort = (receiver.address() as { port: number }).port;
    mqttPort = await freePort();
    const httpPort = await freePort();
    center = runCli(['center', '--demo', '--config', join(projectRoot, 'examples', 'center.yaml'), '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', join(dir, 'data')], {
      STREETWATCH_REDIS_PREFIX: prefix, TEAM_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/orders`, TEAM_WEBHOOK_SECRET: SECRET,
      ...AS_IN_CENTER_IMAGE,
    });
    api = `http://127.0.0.1:${httpPort}`;
    await waitFor(async () => (await fetch(`${api}/healthz`).catch(() => null))?.ok, `centre health (${center.output()})`);
  }, 60_000);

  afterAll(async () => {
    await center?.stop();
    receiver.close();
    const redis = new Redis();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('turns the two parked vehicles into two signed work orders, handled through the API', async () => {
    const clip = makeClip(join(dir, 'vtest-20s.avi'), { seconds: 20 });
    const edgeConfig = writeKerbEdgeConfig(dir, { mqttPort, creds: addDevice(prefix), clip, dwellSeconds: 5, evidenceRepeatSeconds: 4 });
    const edge = runCli(['edge', 'run', '--config', edgeConfig]);
    expect(await edge.exited, edge.output()).toBe(0);

    const orders = await waitFor(() => {
      const o = received.filter((r) => r.body.kind === 'order');
      return o.length >= 2 ? o : null;
    }, 'two orders at the webhook');
    await new Promise((r) => setTimeout(r, 1500)); // a third order would have arrived by now
    const orderPosts = received.filter((r) => r.body.kind === 'order');
    expect(orderPosts).toHaveLength(2);
    expect(new Set(orderPosts.map((r) => r.body.order.id)).size).toBe(2);
    for (const r of orders) {
      expect(verifySignature(SECRET, r.raw, r.headers['x-streetwatch-signature'])).toBe(true);
      expect(r.headers['idempotency-key']).toBe(`${r.body.order.id}:order:1`);
      expect(r.body.order).toMatchObject({ type: 'illegal_parking', state: 'dispatched', team: 'team-north', zoneId: 'kerb', deviceId: 'pole-0001' });
      expect(r.body.order.assignee).toMatch(/^(li|wang)$/);
    }

    // Open311 lists both; media_url serves the first photo without a token.
    const requests = (await (await fetch(`${api}/open311/v2/requests.json`)).json()) as { service_request_id: string; media_url: string; service_code: string; lat: number }[];
    expect(requests.map((q) => q.service_request_id).sort()).toEqual(orderPosts.map((r) => r.body.order.id).sort());
    for (const q of requests) {
      expect(q.service_code).toBe('illegal_parking');
      expect(q.lat).toBeCloseTo(31.2304, 3);
      const photo = await fetch(q.media_url.startsWith('http') ? q.media_url : `${api}${q.media_url}`);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/jpeg');
      const sha = createHash('sha256').update(Buffer.from(await photo.arrayBuffer())).digest('hex');
      const order = orderPosts.find((r) => r.body.order.id === q.service_request_id)!.body.order;
      expect(order.evidence.map((e) => e.sha256)).toContain(sha);
    }

    // An officer accepts, arrives and resolves one order; the KPIs count it.
    const id = orderPosts[0].body.order.id;
    for (const to of ['accepted', 'on_site', 'resolved']) {
      // Resolving needs the officer's photo of the scene.
      if (to === 'resolved') expect((await fetch(`${api}/api/orders/${id}/photos`, { method: 'POST', headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'image/jpeg' }, body: new Uint8Array(await sceneJpeg()) })).status).toBe(201);
      const res = await fetch(`${api}/api/orders/${id}/transitions`, { method: 'POST', headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const again = await fetch(`${api}/api/orders/${id}/transitions`, { method: 'POST', headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'application/json' }, body: JSON.stringify({ to: 'accepted' }) });
    expect(again.status).toBe(409);
    const kpis = (await (await fetch(`${api}/api/kpis`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as { overall: Record<string, unknown> };
    expect(kpis.overall).toMatchObject({ slaMet: 1 });
    expect(JSON.stringify(kpis.overall)).toMatch(/"resolved":1/);
  }, 120_000);
});

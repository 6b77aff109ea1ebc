/**
 * Camera-verified closure through a running centre (the `worker` role as start.ts wires it: the
 * outbox drainer, the verification timer worker and the dispatcher): a resolve the camera
 * confirms is `verified` and stays so; one it does not reopens when the window ends, and the
 * team's and the supervisor's webhooks receive the signed `reopened` notice. Real Redis,
 * Mosquitto and centre.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { centerConfigSchema } from '../center/config.js';
import { NoopMetricsWriter } from '../center/metrics/points.js';
import { startCenter } from '../center/start.js';
import { openTestOrder } from '../ticketing/test-orders.js';
import { verifySignature } from '../ticketing/webhook.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import type { WorkOrder } from '../ticketing/work-order.js';
import { Workflow } from '../ticketing/workflow.js';
import { tempDir } from './fixtures.js';
import { centreQuiet } from './helpers/centre-quiet.js';
import { redisSpace } from './helpers/redis-space.js';
import { waitFor } from './helpers/processes.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const SECRET = 'verify-team-secret';
const SUP_SECRET = 'verify-supervisor-secret';

describe('camera-verified closure in a running centre', () => {
  const { id, prefix, redis, closing } = redisSpace('verify');

  it('verifies a resolve the camera saw leave, and reopens one it still sees, telling the team and the supervisor', async () => {
    const receiver = await startWebhookReceiver();
    closing(receiver.close);
    const { url } = receiver;
    // What each post says, with its signature checked against its webhook's secret.
    const posts = () => receiver.posts.map((p) => ({
      path: p.path, kind: p.kind, orderId: p.orderId, key: String(p.headers['idempotency-key']),
      signed: verifySignature(p.path === '/supervisor' ? SUP_SECRET : SECRET, p.raw, p.headers['x-streetwatch-signature'] as string),
      ...(p.note ? { note: p.note } : {}),
    }));
    const config = centerConfigSchema.parse({
      rootTopic: `swtest-${id}/v1`, redisPrefix: prefix, dataDir: tempDir(),
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      teams: [{ id: 'team-north', webhook: { url: `${url}/team`, secret: SECRET }, supervisorWebhook: { url: `${url}/supervisor`, secret: SUP_SECRET }, officers: [{ id: 'li' }] }],
      defaultTeam: 'team-north',
      // One second: the test waits for the timer, however slow the machine is.
      verification: { windowSeconds: 1 },
    });
    const logger = createLogger('verification-test');
    logger.level = 'warn';
    const worker = await startCenter({ config, roles: ['worker'], instanceId: `w-${id}`, logger });
    closing(() => worker.close());
    // What an `api` process does when officers act; the worker process does the rest.
    const store = new RedisWorkOrderStore(redis, prefix);
    const api = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger: pino({ level: 'silent' }) });
    const officer = { name: 'li' };
    const resolve = async (o: WorkOrder): Promise<WorkOrder> => {
      await api.transition(o.id, 'accepted', officer);
      await api.transition(o.id, 'on_site', officer);
      return api.transition(o.id, 'resolved', officer);
    };

    const left = await openTestOrder(store);
    const stays = await openTestOrder(store);
    const leftResolved = await resolve(left);
    const staysResolved = await resolve(stays);
    expect([leftResolved.verification?.status, staysResolved.verification?.status]).toEqual(['waiting', 'waiting']);
    // The edge's `left` for the first, well inside its window.
    const at = new Date().toISOString();
    await api.onDetection({
      v: 1, eventId: left.eventIds[0]!, seq: 1, deviceId: left.deviceId!, cameraId: left.cameraId!, zoneId: left.zoneId!, type: left.type, state: 'ended',
      label: left.label, confidence: left.confidence, bbox: left.bbox, firstSeenAt: left.discoveredAt, discoveredAt: left.discoveredAt, sentAt: at, endedAt: at, reason: 'left', evidence: [],
    });

    const reopened = await waitFor(async () => {
      const o = (await store.get(stays.id))!;
      return o.state === 'dispatched' ? o : null;
    }, 'the second order reopened by the verification timer', 30_000);
    expect(reopened.verification?.status).toBe('reopened');
    expect(reopened.audit.at(-1)).toMatchObject({ by: 'edge', from: 'resolved', to: 'dispatched' });
    const seq = reopened.audit.length;
    await waitFor(() => posts().filter((p) => p.kind === 'reopened').length >= 2, 'the reopened notices at both webhooks', 15_000);
    await centreQuiet(redis, prefix, { verifyTimers: true }); // a stray duplicate, or the verified order's own timer, would have acted by now

    expect(posts().filter((p) => p.kind === 'reopened').sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/supervisor', kind: 'reopened', orderId: stays.id, key: `${stays.id}:reopened:${seq}:supervisor`, signed: true, note: reopened.verification!.note },
      { path: '/team', kind: 'reopened', orderId: stays.id, key: `${stays.id}:reopened:${seq}`, signed: true, note: reopened.verification!.note },
    ]);
    expect(reopened.verification!.note).toMatch(/^still there after resolve/);
    const verified = (await store.get(left.id))!;
    expect(verified.state).toBe('verified');
    expect(verified.audit.map((a) => a.to)).toEqual(['dispatched', 'accepted', 'on_site', 'resolved', 'verified']);
    expect(posts().filter((p) => p.orderId === left.id)).toEqual([]);
  }, 90_000);
});

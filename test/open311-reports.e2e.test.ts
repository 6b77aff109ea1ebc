/**
 * Issue 16 §3: a citizen's Open311 report becomes an order of the same workflow in a real centre
 * (api + worker on real Redis and Mosquitto), a second nearby report joins it, a camera seeing the
 * same problem merges in, the officer handles it, and each reporting client is called back,
 * signed, on every change.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/logger.js';
import { centerConfigSchema } from '../center/config.js';
import { startCenter } from '../center/start.js';
import { createQueues, detectionJobId } from '../ticketing/queues.js';
import { verifySignature } from '../ticketing/webhook.js';
import { detection } from '../center/ingest/test-fixtures.js';
import { sceneJpeg, tempDir } from './fixtures.js';
import { centreQuiet } from './helpers/centre-quiet.js';
import { redisSpace } from './helpers/redis-space.js';
import { waitFor } from './helpers/processes.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const APP_KEY = 'citizen-app-key-e2e-0123';
const HOTLINE_KEY = 'hotline-key-e2e-01234567';
const SECRETS = { app: 'app-callback-secret-0123', hotline: 'hotline-callback-secret-01' };
const OFFICER_TOKEN = 'officer-token-e2e-0123456';
const SPOT = { lat: 32.0605, long: 118.7969 };

describe('Open311 reports into orders, both ways', () => {
  const { id, prefix, redis, closing } = redisSpace('reports');
  closing(async () => {
    const queues = createQueues(redis, prefix);
    await Promise.all([queues.dispatch.obliterate({ force: true }), queues.sla.obliterate({ force: true })]).catch(() => undefined);
    await queues.close();
  });

  it('a report becomes an order, a second joins it, a camera merges in, the officer resolves it, and the clients hear of each change, signed', async () => {
    const receiver = await startWebhookReceiver();
    closing(receiver.close);
    const config = centerConfigSchema.parse({
      rootTopic: `swtest-${id}/v1`, redisPrefix: prefix, dataDir: tempDir(),
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      http: { port: 0, host: '127.0.0.1', linkSecret: 'reports-e2e-link-secret', publicUrl: 'https://sw.city.test' },
      teams: [
        { id: 'north', name: 'North brigade', webhook: { url: `${receiver.url}/team`, secret: 'team-secret-0123' }, officers: [{ id: 'li' }] },
      ],
      defaultTeam: 'north',
      users: [{ name: 'li', role: 'officer', token: OFFICER_TOKEN, officerId: 'li' }],
      cameras: [{ deviceId: 'pole-7', cameraId: 'cam-1', location: { lat: SPOT.lat + 0.0002, long: SPOT.long } }],
      reports: { radiusMeters: 50, windowMinutes: 60 },
      open311: {
        clients: [
          { id: 'hotline', apiKey: HOTLINE_KEY, autoConfirm: true, callbackUrl: `${receiver.url}/hotline`, callbackSecret: SECRETS.hotline },
          { id: 'app', apiKey: APP_KEY, callbackUrl: `${receiver.url}/app`, callbackSecret: SECRETS.app },
        ],
      },
    });
    const logger = createLogger('reports-e2e');
    logger.level = 'warn';
    const centre = await startCenter({ config, roles: ['api', 'worker'], instanceId: `r-${id}`, logger });
    closing(() => centre.close());
    const base = centre.httpUrl!;

    const report = async (key: string, at: { lat: number; long: number }, description: string) => {
      const res = await fetch(`${base}/open311/v2/requests.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ api_key: key, service_code: 'illegal_parking', lat: String(at.lat), long: String(at.long), description }).toString(),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as Array<{ service_request_id: string }>)[0].service_request_id;
    };
    const callbacks = (path: string) => receiver.posts.filter((p) => p.path === path).map((p) => ({ ...p, body: JSON.parse(p.raw) as Record<string, unknown> }));

    const statuses = (path: string) => callbacks(path).map((c) => `${c.body.status}:${c.body.status_notes}`);
    /** Waits for each client's callbacks to reach the counts given: one per change, each sent before the next change. */
    const heard = (hotline: number, app: number) =>
      waitFor(() => callbacks('/hotline').length >= hotline && callbacks('/app').length >= app, `callbacks ${hotline} and ${app}`, 20_000);

    // The hotline is trusted: dispatched at once, to the team's officer.
    const orderId = await report(HOTLINE_KEY, SPOT, 'Car on the crossing');
    await waitFor(() => receiver.posts.some((p) => p.path === '/team' && p.kind === 'order'), 'the team told of the order', 15_000);
    await heard(1, 0);

    // A citizen 20 m away: the same problem.
    expect(await report(APP_KEY, { lat: SPOT.lat + 0.00018, long: SPOT.long }, 'Blocked crossing')).toBe(orderId);
    await heard(2, 1);
    // The camera up the road sees it too: its event merges into the reported order.
    const seen = detection('pole-7', 'cam-1', { discoveredAt: new Date().toISOString() });
    const queues = createQueues(redis, prefix);
    await queues.detections.add('detection', seen, { jobId: detectionJobId(seen.eventId, 0) });
    await queues.close();
    await heard(3, 2);

    // The officer handles it through the API.
    const move = async (to: string) => {
      const res = await fetch(`${base}/api/orders/${orderId}/transitions`, { method: 'POST', headers: { authorization: `Bearer ${OFFICER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
      expect(res.status).toBe(200);
    };
    await move('accepted');
    await heard(4, 3);
    await move('on_site');
    await heard(5, 4);
    // Resolving needs the officer's photo of the scene.
    const photo = await fetch(`${base}/api/orders/${orderId}/photos`, { method: 'POST', headers: { authorization: `Bearer ${OFFICER_TOKEN}`, 'content-type': 'image/jpeg' }, body: new Uint8Array(await sceneJpeg()) });
    expect(photo.status).toBe(201);
    const officerPhoto = ((await photo.json()) as { evidence: Array<{ kind: string; evidenceId: string }> }).evidence.find((e) => e.kind === 'officer')!;
    await move('resolved');
    await heard(6, 5);
    await centreQuiet(redis, prefix); // a stray duplicate would be sent by now

    // Every change, in order: opened, joined by the app's report, merged with the camera, accepted, on site, resolved.
    const dispatched = 'open:An enforcement officer has been dispatched.';
    const handled = ['open:An enforcement officer has accepted the request.', 'open:An enforcement officer is on site.'];
    // A reported order closes on the officer's word, camera or not.
    const resolved = 'closed:Resolved by an enforcement officer.';
    expect(statuses('/hotline')).toEqual([dispatched, dispatched, dispatched, ...handled, resolved]);
    expect(statuses('/app')).toEqual([dispatched, dispatched, ...handled, resolved]);
    for (const [path, secret] of [['/hotline', SECRETS.hotline], ['/app', SECRETS.app]] as const) {
      for (const c of callbacks(path)) {
        expect(verifySignature(secret, c.raw, c.headers['x-streetwatch-signature'])).toBe(true);
        expect(verifySignature('not-the-secret-000', c.raw, c.headers['x-streetwatch-signature'])).toBe(false);
        expect(c.body).toMatchObject({ service_request_id: orderId, service_code: 'illegal_parking', agency_responsible: 'North brigade', description: 'Illegal parking reported: Car on the crossing' });
      }
      // One idempotency key per change.
      const keys = callbacks(path).map((c) => c.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(keys.length);
    }

    // The order itself: one, the hotline's source kept, both reports and the camera's event in it.
    const order = (await (await fetch(`${base}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${OFFICER_TOKEN}` } })).json()) as Record<string, unknown>;
    expect(order).toMatchObject({ source: 'open311', state: 'resolved', deviceId: 'pole-7', cameraId: 'cam-1', eventIds: [seen.eventId], team: 'north' });
    expect((order.reports as Array<{ clientId: string }>).map((r) => r.clientId)).toEqual(['hotline', 'app']);

    // Open311 lists it in JSON and XML.
    const xml = await (await fetch(`${base}/open311/v2/requests.xml?service_request_id=${orderId}`)).text();
    expect(xml).toContain(`<service_request_id>${orderId}</service_request_id><status>closed</status>`);
    // The officer's own photo is never public media.
    const [listed] = (await (await fetch(`${base}/open311/v2/requests.json?service_request_id=${orderId}`)).json()) as Array<{ media_url: string | null }>;
    expect(listed.media_url ?? '').not.toContain(officerPhoto.evidenceId);
  }, 90_000);
});

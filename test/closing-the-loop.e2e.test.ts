/**
 * Issue 16 §5, the acceptance test, as one story on a real centre (api, worker and ingest on real
 * Redis and Mosquitto, a real HTTP receiver for every webhook and callback):
 *  1. a citizen app reports a car on the crossing by Open311 POST, with a photo; an operator
 *     confirms it and it is dispatched to the team whose area holds the place;
 *  2. the officer, in the phone app (headless Chromium, 390×844, slow network), accepts it, arrives,
 *     takes a photo and resolves it: a reported order closes on the officer's word;
 *  3. the citizen app was called back, signed, on every change, and Open311 shows the status in
 *     JSON and XML;
 *  4. a box reports two cars over MQTT: the one that left while the officer was on site is
 *     `verified` when resolved, the one still there reopens, back on the officer's phone, and the
 *     team's supervisor is told;
 *  5. a grid inspector reports one more (another team's area), and the KPIs count all three sources,
 *     and the verified closures and reopens of the team.
 * Screenshots go to test-artifacts/screenshots/loop-*.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { createLogger } from '../common/logger.js';
import { topics, type DetectionMessage, type KpiReport, type WorkOrder } from '../contract/index.js';
import { centerConfigSchema } from '../center/config.js';
import { detection, MOSQUITTO_URL } from '../center/ingest/test-fixtures.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { verifySignature } from '../ticketing/webhook.js';
import { sceneJpeg, tempDir } from './fixtures.js';
import { phone as phoneAt, type Phone } from './helpers/phone.js';
import { waitFor } from './helpers/processes.js';
import { centreQuiet } from './helpers/centre-quiet.js';
import { redisSpace } from './helpers/redis-space.js';
import { screenshots } from './helpers/screenshots.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const TOKENS = { officer: 'loop-officer-li-0123456', operator: 'loop-operator-0123456', inspector: 'loop-inspector-0123456' };
const SECRETS = { north: 'loop-north-team-secret', supervisor: 'loop-north-supervisor-secret', central: 'loop-central-team-secret', app: 'loop-citizen-app-callback' };
const APP_KEY = 'loop-citizen-app-key-0123';
/** The crossing the citizen reports, inside the north team's area; the inspector's street, outside it. */
const CROSSING = { lat: 32.0605, long: 118.7969 };
const INSPECTED = { lat: 32.02, long: 118.75 };
/** The box's pole, in the north area too, far enough from the crossing that its orders are its own. */
const POLE = { deviceId: 'pole-9', cameraId: 'cam-1', location: { lat: 32.066, long: 118.803 } };

describe('closing the loop', () => {
  const { id, prefix, redis, closing } = redisSpace('loop');
  const root = `swtest-${id}/v1`;
  const dir = tempDir('sw-loop-');
  const screenshot = screenshots('loop');
  let receiver: WebhookReceiver;
  let centre: RunningCenter | null = null;
  let box: MqttClient | null = null;
  let phone: Phone;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    closing(() => rmSync(dir, { recursive: true, force: true }));
    receiver = await startWebhookReceiver();
    closing(receiver.close);
    const hook = (path: string, secret: string) => ({ url: `${receiver.url}/${path}`, secret });
    const config = centerConfigSchema.parse({
      rootTopic: root, redisPrefix: prefix, dataDir: join(dir, 'data'),
      mqtt: { url: MOSQUITTO_URL, ingestConnections: 1 },
      http: { port: 0, host: '127.0.0.1', linkSecret: 'loop-e2e-link-secret-0123456789' },
      teams: [
        {
          id: 'north', name: 'North brigade', webhook: hook('north', SECRETS.north), supervisorWebhook: hook('supervisor', SECRETS.supervisor), officers: [{ id: 'li' }],
          areas: [{ name: 'Xinjiekou', polygon: [{ lat: 32.05, long: 118.78 }, { lat: 32.05, long: 118.81 }, { lat: 32.07, long: 118.81 }, { lat: 32.07, long: 118.78 }] }],
        },
        { id: 'central', name: 'Central brigade', webhook: hook('central', SECRETS.central), officers: [{ id: 'wang' }] },
      ],
      defaultTeam: 'central',
      cameras: [{ ...POLE, team: 'north' }],
      users: [
        { name: 'li', role: 'officer', token: TOKENS.officer, officerId: 'li' },
        { name: 'olga', role: 'operator', token: TOKENS.operator },
        { name: 'ivan', role: 'inspector', token: TOKENS.inspector },
      ],
      open311: { clients: [{ id: 'app', name: 'Citizen app', apiKey: APP_KEY, callbackUrl: `${receiver.url}/app`, callbackSecret: SECRETS.app }] },
      // Two seconds: the reopen comes quickly, however slow the machine.
      verification: { windowSeconds: 2 },
    });
    await new DeviceRegistry(redis, prefix).add(POLE.deviceId);
    const logger = createLogger('loop-e2e');
    logger.level = 'warn';
    centre = await startCenter({ config, roles: ['api', 'worker', 'ingest'], instanceId: `loop-${id}`, logger });
    closing(() => centre?.close());
    base = centre.httpUrl!;
    box = await connectAsync(MOSQUITTO_URL, { clientId: `loop-box-${id}` });
    closing(() => box?.endAsync());
    phone = await phoneAt({ latitude: CROSSING.lat - 0.002, longitude: CROSSING.long });
    closing(phone.close);
    page = phone.page;
  }, 60_000);


  it('a citizen report, two camera orders and an inspector report, each closed as it should be, the reporter told, the KPIs counting them', () => phone.run('loop', story), 120_000);

  const api = async <T>(path: string, token: string, init: RequestInit = {}, status = 200): Promise<T> => {
    const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    expect(res.status, `${init.method ?? 'GET'} ${path}: ${res.status}`).toBe(status);
    return (await res.json()) as T;
  };
  const move = (orderId: string, to: string) =>
    api<WorkOrder>(`/api/orders/${orderId}/transitions`, TOKENS.officer, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
  const takePhoto = async (orderId: string) =>
    api<WorkOrder>(`/api/orders/${orderId}/photos`, TOKENS.officer, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(await sceneJpeg()) }, 201);
  const order = (orderId: string) => api<WorkOrder>(`/api/orders/${orderId}`, TOKENS.operator);
  const jpegForm = async (fields: Record<string, string>, photoField: string) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append(photoField, new Blob([new Uint8Array(await sceneJpeg())], { type: 'image/jpeg' }), 'scene.jpg');
    return form;
  };
  /** Posts to `path` of the receiver, each with its signature checked against `secret`. */
  const postsTo = (path: string, secret: string) =>
    receiver.posts.filter((p) => p.path === path).map((p) => ({ ...p, signed: verifySignature(secret, p.raw, p.headers['x-streetwatch-signature'] as string) }));
  const card = (orderId: string) => page.locator(`[data-testid=officer-order][data-order-id="${orderId}"]`);
  const publish = (d: DetectionMessage) => box!.publishAsync(topics.detections(root, d.deviceId, d.cameraId), JSON.stringify(d), { qos: 1 });

  async function story(): Promise<void> {
    // 1. The citizen app reports, with a photo: an order of its own, waiting for an operator.
    const posted = await fetch(`${base}/open311/v2/requests.json`, {
      method: 'POST',
      body: await jpegForm({ api_key: APP_KEY, service_code: 'illegal_parking', lat: String(CROSSING.lat), long: String(CROSSING.long), description: 'Car on the crossing', address_string: '中山路 1 号' }, 'media'),
    });
    expect(posted.status).toBe(201);
    const reportId = ((await posted.json()) as Array<{ service_request_id: string }>)[0].service_request_id;
    expect(await order(reportId)).toMatchObject({ source: 'open311', state: 'pending_review', team: 'north', deviceId: null });
    // The operator confirms it: dispatched to the north team, whose area holds the crossing, and its officer.
    expect(await api<WorkOrder>(`/api/review/${reportId}/confirm`, TOKENS.operator, { method: 'POST' })).toMatchObject({ state: 'dispatched', team: 'north', assignee: 'li' });
    await waitFor(() => postsTo('/north', SECRETS.north).some((p) => p.kind === 'order' && p.orderId === reportId), 'the north team told of the report', 15_000);
    expect(postsTo('/north', SECRETS.north).find((p) => p.orderId === reportId)!.signed).toBe(true);

    // 2. The officer's phone: sign in, the order is in "my orders"; accept, arrive, photograph, resolve.
    const photoFile = join(dir, 'scene.jpg');
    writeFileSync(photoFile, await sceneJpeg());
    await page.goto(`${base}/app/`);
    await page.getByTestId('token').fill(TOKENS.officer);
    await screenshot(page, 'sign-in');
    await page.getByTestId('sign-in-submit').click();
    await page.locator('[data-testid=live][data-state=live]').waitFor({ timeout: 30_000 });
    await card(reportId).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('officer-order').count()).toBe(1);
    // The officer sees who reported it, and where: no camera zone, the address the citizen gave.
    expect(await card(reportId).getByTestId('source').getAttribute('data-source')).toBe('open311');
    expect(await card(reportId).getByTestId('source').textContent()).toBe('市民举报');
    expect(await card(reportId).getByTestId('where').textContent()).toBe('中山路 1 号 · 0.2 公里');
    await page.waitForFunction((o) => [...document.querySelectorAll<HTMLImageElement>(`[data-order-id="${o}"] img`)].some((i) => i.naturalWidth > 0), reportId, { timeout: 30_000 });
    await screenshot(page, 'my-orders');
    for (const to of ['accepted', 'on_site']) {
      await card(reportId).getByTestId(`move-${to}`).click();
      await page.locator(`[data-testid=officer-order][data-order-id="${reportId}"][data-state=${to}]`).waitFor({ timeout: 30_000 });
    }
    await card(reportId).getByTestId('photo-input').setInputFiles(photoFile);
    await card(reportId).locator('[data-testid=officer-photos][data-count="1"]').waitFor({ timeout: 60_000 });
    await screenshot(page, 'photo-taken');
    await card(reportId).getByTestId('move-resolved').click();
    await card(reportId).waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(page, 'resolved');
    const resolved = await order(reportId);
    // Closed on the officer's word: no camera to wait for.
    expect(resolved).toMatchObject({ state: 'resolved', source: 'open311', assignee: 'li' });
    expect(resolved.verification ?? null).toBeNull();
    expect(resolved.audit.map((a) => [a.by, a.to])).toEqual([['open311:app', 'pending_review'], ['olga', 'dispatched'], ['li', 'accepted'], ['li', 'on_site'], ['li', 'on_site'], ['li', 'resolved']]);
    expect(resolved.evidence.map((e) => e.kind).sort()).toEqual(['officer', 'report']);

    // 3. The citizen app heard of every change, signed, once each.
    const callbacks = () => postsTo('/app', SECRETS.app).map((c) => ({ ...c, body: JSON.parse(c.raw) as Record<string, string> }));
    await waitFor(() => callbacks().length >= 5, 'five callbacks to the citizen app', 20_000);
    await centreQuiet(redis, prefix); // a stray duplicate would be sent by now
    expect(callbacks().map((c) => `${c.body.status}:${c.body.status_notes}`)).toEqual([
      'open:Awaiting review by an operator.',
      'open:An enforcement officer has been dispatched.',
      'open:An enforcement officer has accepted the request.',
      'open:An enforcement officer is on site.',
      'closed:Resolved by an enforcement officer.',
    ]);
    for (const c of callbacks()) {
      expect(c.signed).toBe(true);
      expect(verifySignature(SECRETS.north, c.raw, c.headers['x-streetwatch-signature'] as string)).toBe(false);
      expect(c.body).toMatchObject({ service_request_id: reportId, service_code: 'illegal_parking', agency_responsible: 'North brigade' });
    }
    expect(new Set(callbacks().map((c) => c.headers['idempotency-key'])).size).toBe(5);
    // Open311 shows it, JSON and XML alike; the citizen's photo is public media, the officer's is not.
    const [listed] = (await (await fetch(`${base}/open311/v2/requests/${reportId}.json`)).json()) as Array<Record<string, string | null>>;
    expect(listed).toMatchObject({ service_request_id: reportId, status: 'closed', status_notes: 'Resolved by an enforcement officer.', agency_responsible: 'North brigade', address: '中山路 1 号', updated_datetime: resolved.updatedAt });
    const reportPhoto = resolved.evidence.find((e) => e.kind === 'report')!;
    expect(listed.media_url).toContain(reportPhoto.evidenceId);
    const media = await fetch(listed.media_url!.replace(/^https?:\/\/[^/]+/, base));
    expect([media.status, media.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const xml = await (await fetch(`${base}/open311/v2/requests/${reportId}.xml`)).text();
    expect(xml).toContain(`<service_request_id>${reportId}</service_request_id><status>closed</status>`);
    expect(xml).toContain('<status_notes>Resolved by an enforcement officer.</status_notes>');

    // 4. The box on the pole finds two parked cars: two orders, dispatched to the north team's officer.
    const [gone, stays] = ['kerb-a', 'kerb-b'].map((zoneId) => detection(POLE.deviceId, POLE.cameraId, { zoneId, confidence: 0.9 }));
    for (const d of [gone, stays]) await publish(d);
    const orderOf = (d: DetectionMessage) => waitFor(async () => {
      const { items } = await api<{ items: WorkOrder[] }>(`/api/orders?deviceId=${POLE.deviceId}`, TOKENS.operator);
      return items.find((o) => o.eventIds.includes(d.eventId)) ?? null;
    }, `the order of ${d.zoneId}`, 20_000);
    const [goneOrder, staysOrder] = [await orderOf(gone), await orderOf(stays)];
    for (const o of [goneOrder, staysOrder]) expect(o).toMatchObject({ source: 'camera', state: 'dispatched', team: 'north', assignee: 'li', deviceId: POLE.deviceId });
    // They arrive on the phone live.
    for (const o of [goneOrder, staysOrder]) await card(o.id).waitFor({ timeout: 30_000 });
    expect(await card(goneOrder.id).getByTestId('where').textContent()).toBe('区域 kerb-a · 1.0 公里');
    expect(await card(goneOrder.id).getByTestId('source').count()).toBe(0);
    await screenshot(page, 'camera-orders');
    for (const o of [goneOrder, staysOrder]) {
      await move(o.id, 'accepted');
      await move(o.id, 'on_site');
      await takePhoto(o.id);
    }
    // The first car drives off while the officer is there: the box says `left`, the team hears of it.
    const at = new Date().toISOString();
    await publish({ ...gone, seq: 1, state: 'ended', reason: 'left', endedAt: at, sentAt: at });
    await waitFor(() => postsTo('/north', SECRETS.north).some((p) => p.orderId === goneOrder.id && p.kind === 'update'), 'the team told the car left', 20_000);
    // The officer resolves both: the first is verified at once, the camera having seen it go...
    expect(await move(goneOrder.id, 'resolved')).toMatchObject({ state: 'verified', verification: { status: 'verified' } });
    // ...the second waits for the camera, which still sees the car when the window ends: reopened.
    expect(await move(staysOrder.id, 'resolved')).toMatchObject({ state: 'resolved', verification: { status: 'waiting' } });
    const reopened = await waitFor(async () => {
      const o = await order(staysOrder.id);
      return o.state === 'dispatched' ? o : null;
    }, 'the order the camera still sees reopened', 20_000);
    expect(reopened.verification).toMatchObject({ status: 'reopened', note: expect.stringMatching(/^still there after resolve/) as unknown });
    expect(reopened.audit.at(-1)).toMatchObject({ by: 'edge', from: 'resolved', to: 'dispatched', note: reopened.verification!.note });
    // The supervisor is told, signed; the team too; and the order is back on the officer's phone.
    await waitFor(() => postsTo('/supervisor', SECRETS.supervisor).some((p) => p.kind === 'reopened'), 'the supervisor told of the reopen', 15_000);
    expect(postsTo('/supervisor', SECRETS.supervisor).map((p) => [p.kind, p.orderId, p.note, p.signed])).toEqual([['reopened', staysOrder.id, reopened.verification!.note, true]]);
    await waitFor(() => postsTo('/north', SECRETS.north).some((p) => p.orderId === staysOrder.id && p.kind === 'reopened'), 'the team told of the reopen', 15_000);
    await page.locator(`[data-testid=officer-order][data-order-id="${staysOrder.id}"][data-state=dispatched]`).waitFor({ timeout: 30_000 });
    await card(goneOrder.id).waitFor({ state: 'detached', timeout: 30_000 });
    expect(await page.getByTestId('officer-order').count()).toBe(1);
    // The officer sees why it is back.
    expect(await card(staysOrder.id).getByTestId('verification').textContent()).toBe('已重开：问题仍在');
    await screenshot(page, 'reopened');
    expect((await order(goneOrder.id)).audit.map((a) => a.to)).toEqual(['dispatched', 'accepted', 'on_site', 'on_site', 'resolved', 'verified']);

    // 5. A grid inspector reports a car on another street: the central team's area (the default).
    const inspected = await api<WorkOrder>('/api/reports', TOKENS.inspector, {
      method: 'POST',
      body: await jpegForm({ type: 'illegal_parking', lat: String(INSPECTED.lat), long: String(INSPECTED.long), description: 'Van on the pavement' }, 'photo'),
    }, 201);
    expect(inspected).toMatchObject({ source: 'inspector', state: 'dispatched', team: 'central', assignee: 'wang' });
    await waitFor(() => postsTo('/central', SECRETS.central).some((p) => p.kind === 'order' && p.orderId === inspected.id), 'the central team told of the inspector\'s report', 15_000);
    // Each team heard of its own orders only.
    expect(new Set(postsTo('/central', SECRETS.central).map((p) => p.orderId))).toEqual(new Set([inspected.id]));
    expect(new Set(postsTo('/north', SECRETS.north).map((p) => p.orderId))).toEqual(new Set([reportId, goneOrder.id, staysOrder.id]));
    expect(receiver.posts.filter((p) => p.path !== '/app').every((p) => verifySignature(p.path === '/supervisor' ? SECRETS.supervisor : p.path === '/north' ? SECRETS.north : SECRETS.central, p.raw, p.headers['x-streetwatch-signature'] as string))).toBe(true);

    // The KPIs: every source, and the north team's verified closure and reopen.
    const kpis = await api<KpiReport>('/api/kpis', TOKENS.operator);
    expect(Object.keys(kpis.bySource)).toEqual(['camera', 'inspector', 'open311']);
    expect(kpis.bySource.camera).toMatchObject({ orders: 2, byState: { verified: 1, dispatched: 1 }, verification: { verified: 1, resolvedByOfficer: 2, reopened: 1, reopenRate: 0.5 } });
    expect(kpis.bySource.open311).toMatchObject({ orders: 1, byState: { resolved: 1 }, slaJudged: 1, slaMet: 1 });
    expect(kpis.bySource.inspector).toMatchObject({ orders: 1, byState: { dispatched: 1 } });
    expect(kpis.byTeam.north).toMatchObject({ orders: 3, closed: 2, verification: { verified: 1, resolvedByOfficer: 2, reopened: 1, reopenRate: 0.5 } });
    expect(kpis.byTeam.central).toMatchObject({ orders: 1, verification: { verified: 0, resolvedByOfficer: 0, reopened: 0, reopenRate: null } });
    expect(kpis.overall.orders).toBe(4);
  }
});

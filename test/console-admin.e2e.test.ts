/**
 * The console's admin pieces of issue 13, in headless Chromium against the real centre (its
 * Redis, its embedded broker), with no `edge run`: a box is registered with the CLI and speaks
 * MQTT as a box would. An admin adds an exempt plate through the page, sees it listed, audited
 * and sent to the box, and removes it; an operator reads the list without controls. A box saying
 * its camera was moved shows a badge on the camera and a warning in its zone editor, and both go
 * when the box says the alert is over. Its telemetry's zone-model figures show on the camera's row,
 * in Chinese and English. Screenshots go to test-artifacts/screenshots/admin-*.
 */
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../console/headless.js';
import { DEFAULT_ROOT, edgeClientId, topics, type DesiredConfig, type DeviceListItem, type ExemptPlateAuditLine, type ExemptPlateEntry, type StatusMessage, type TelemetryMessage } from '../contract/index.js';
import { addDevice } from './helpers/kerb-box.js';
import { startExampleCentre, type ExampleCentre } from './helpers/example-centre.js';
import { waitFor } from './helpers/processes.js';
import { SCREENSHOTS, screenshots } from './helpers/screenshots.js';

const OPERATOR = 'demo-operator-token-0001';
const OFFICER = 'demo-officer-token-0001';
const ADMIN = 'demo-admin-token-00001';
const DEVICE = 'pole-0001';

describe('console: exempt plates and a moved camera in the browser', () => {
  const screenshot = screenshots('admin');
  let centre: ExampleCentre;
  let box: MqttClient;
  let browser: Browser;
  let base: string;
  const pages: Page[] = [];

  const apiGet = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  };
  const sendStatus = (cameras: StatusMessage['cameras']) =>
    box.publishAsync(topics.status(DEFAULT_ROOT, DEVICE), JSON.stringify({ v: 1, deviceId: DEVICE, state: 'online', at: new Date().toISOString(), cameras } satisfies StatusMessage), { qos: 1, retain: true });

  beforeAll(async () => {
    centre = await startExampleCentre('adm');
    base = centre.base;
    const creds = addDevice(centre.prefix, DEVICE);
    box = await connectAsync(`mqtt://127.0.0.1:${centre.mqttPort}`, { ...creds, clientId: edgeClientId(DEVICE), reconnectPeriod: 0 });
    await sendStatus([{ cameraId: 'cam-1', state: 'connected' }]);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await box?.endAsync();
    await centre?.stop();
  });

  // What each page showed and the centre said when a test failed, for the CI log.
  afterEach(async ({ task }) => {
    if (task.result?.state !== 'fail') return;
    for (const [i, p] of pages.entries()) await p.screenshot({ path: join(SCREENSHOTS, `admin-failure-page-${i}.png`) }).catch(() => undefined);
    process.stderr.write(`centre output (last 4000 characters):\n${centre.center.output().slice(-4000)}\n`);
  });

  const signIn = async (token: string, screen: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
    pages.push(page);
    await page.goto(base);
    await page.getByTestId('token').fill(token);
    await page.getByTestId('sign-in-submit').click();
    await page.locator('[data-testid=live][data-state=live]').waitFor();
    await page.goto(`${base}/#/${screen}`);
    return page;
  };

  it('an admin adds an exempt plate, sees it listed, audited and sent to the box, and removes it', async () => {
    const admin = await signIn(ADMIN, 'exempt');
    await admin.getByTestId('exempt-form').waitFor();

    // What the centre refuses is shown as it says it.
    await admin.getByTestId('exempt-plate').fill('a');
    await admin.getByTestId('exempt-add').click();
    expect(await admin.getByTestId('exempt-error').textContent()).toContain('plate: "a" normalised is "A": must be 2-16 letters and digits');

    // Typed any way, stored as the box reads it; the expiry is read in the centre's zone (Asia/Shanghai).
    await admin.getByTestId('exempt-plate').fill('京a·12345');
    await admin.getByTestId('exempt-reason').fill('Police patrol car');
    await admin.getByTestId('exempt-expires').fill('2030-01-01T08:00');
    await admin.getByTestId('exempt-add').click();
    const row = admin.locator('[data-testid=exempt-row][data-plate="京A12345"]');
    await row.waitFor();
    await admin.locator('[data-testid=exempt-audit-row][data-plate="京A12345"][data-action=added]').waitFor();
    expect(await admin.getByTestId('exempt-error').count()).toBe(0);
    expect(await row.textContent()).toContain('2030-01-01 08:00');
    const { items } = await apiGet<{ items: ExemptPlateEntry[] }>('/api/exempt-plates');
    expect(items).toEqual([{ plate: '京A12345', reason: 'Police patrol car', expiresAt: '2030-01-01T00:00:00.000Z', addedBy: 'admin', addedAt: expect.any(String) }]);
    const sent = await apiGet<{ desired: DesiredConfig }>(`/api/devices/${DEVICE}/config`);
    expect(sent.desired.config.exemptPlates).toEqual([{ plate: '京A12345', reason: 'Police patrol car', expiresAt: '2030-01-01T00:00:00.000Z' }]);
    await screenshot(admin, 'exempt-plates');

    // Removing asks once more, then the plate is gone from the list, the audit says so, and the box is sent the empty list.
    await row.getByTestId('exempt-remove').click();
    await row.getByTestId('exempt-remove-confirm').click();
    await row.waitFor({ state: 'detached' });
    await admin.locator('[data-testid=exempt-audit-row][data-plate="京A12345"][data-action=removed]').waitFor();
    expect((await apiGet<{ items: ExemptPlateEntry[] }>('/api/exempt-plates')).items).toEqual([]);
    const audit = await apiGet<{ items: ExemptPlateAuditLine[] }>('/api/exempt-plates/audit');
    expect(audit.items.map((l) => [l.action, l.plate, l.by])).toEqual([['removed', '京A12345', 'admin'], ['added', '京A12345', 'admin']]);
    const after = await apiGet<{ desired: DesiredConfig }>(`/api/devices/${DEVICE}/config`);
    expect(after.desired.version).toBeGreaterThan(sent.desired.version);
    expect(after.desired.config.exemptPlates).toEqual([]);
    await screenshot(admin, 'exempt-plates-removed');
  });

  it('an operator reads the exempt plates without the controls; an officer is not offered the page', async () => {
    const operator = await signIn(OPERATOR, 'exempt');
    await operator.getByTestId('exempt-read-only').waitFor();
    await operator.locator('[data-testid=exempt-audit-row][data-action=removed]').waitFor();
    expect(await operator.getByTestId('exempt-form').count()).toBe(0);
    expect(await operator.getByTestId('nav-exempt').count()).toBe(1);
    const officer = await signIn(OFFICER, 'board');
    await officer.getByTestId('nav-board').waitFor();
    expect(await officer.getByTestId('nav-exempt').count()).toBe(0);
  });

  it('shows a moved camera on the devices screen and warns in its zone editor, until the box clears it', async () => {
    const since = new Date(Date.now() - 120_000).toISOString();
    await sendStatus([{ cameraId: 'cam-1', state: 'connected', alerts: [{ kind: 'camera_moved', since }] }]);
    // The centre keeps the alert with the box's status and serves it.
    await waitFor(async () => (await apiGet<{ items: DeviceListItem[] }>('/api/devices')).items[0]?.status?.cameras?.[0]?.alerts?.length === 1, 'the alert in /api/devices');
    expect((await apiGet<{ items: DeviceListItem[] }>('/api/devices')).items[0].status?.cameras).toEqual([{ cameraId: 'cam-1', state: 'connected', alerts: [{ kind: 'camera_moved', since }] }]);

    // Loaded with the list (Chinese by default) …
    const operator = await signIn(OPERATOR, 'devices');
    const badge = operator.locator('[data-testid=camera-row][data-camera-id=cam-1] [data-testid=camera-alert][data-kind=camera_moved]');
    await badge.waitFor();
    expect(await badge.textContent()).toContain('画面移动');
    await screenshot(operator, 'camera-moved-devices');
    await operator.getByTestId('nav-zones').click();
    const warning = operator.getByTestId('zone-camera-moved');
    await warning.waitFor();
    expect(await warning.textContent()).toContain('原画面');
    await screenshot(operator, 'camera-moved-zones');

    // … and cleared live, when the box's next status has no alert.
    await sendStatus([{ cameraId: 'cam-1', state: 'connected' }]);
    await warning.waitFor({ state: 'detached', timeout: 10_000 });
    await operator.getByTestId('nav-devices').click();
    await operator.locator('[data-testid=camera-row][data-camera-id=cam-1]').waitFor();
    expect(await badge.count()).toBe(0);

    // And set live: the badge comes without a reload.
    await sendStatus([{ cameraId: 'cam-1', state: 'connected', alerts: [{ kind: 'camera_moved', since }] }]);
    await badge.waitFor({ timeout: 10_000 });
  });

  it('shows each zone model of a camera with its runs, mean time and finds from the box\'s telemetry', async () => {
    const at = new Date().toISOString();
    const camera = { state: 'connected', fps: 10, inferenceMs: 30, skippedFrames: 0, droppedFrames: 0, lastFrameAt: at, openDetections: 0 } as const;
    const telemetry: TelemetryMessage = {
      v: 1, deviceId: DEVICE, at,
      cameras: [
        { cameraId: 'cam-1', ...camera, zoneModels: [{ modelId: 'stalls', runs: 6, inferenceMs: 12.4, detections: 4 }, { modelId: 'carts', runs: 0, inferenceMs: 0, detections: 0 }] },
        { cameraId: 'cam-2', ...camera },
      ],
      system: { cpuPercent: 40, rssMb: 180, memFreeMb: 512, diskFreeMb: 20_000, loadAvg1: 0.5, uptimeSeconds: 3600 },
      spool: { messages: 0, bytes: 0, dropped: 0 },
    };
    await box.publishAsync(topics.telemetry(DEFAULT_ROOT, DEVICE), JSON.stringify(telemetry), { qos: 1 });
    await waitFor(async () => (await apiGet<{ items: DeviceListItem[] }>('/api/devices')).items[0]?.telemetry?.at === at, 'the telemetry in /api/devices');

    const operator = await signIn(OPERATOR, 'devices');
    const row = (id: string) => operator.locator(`[data-testid=camera-row][data-camera-id=${id}]`);
    const stalls = row('cam-1').locator('[data-testid=zone-model][data-model-id=stalls]');
    await stalls.waitFor();
    expect(await stalls.textContent()).toBe('stalls 运行 6 次 · 12 ms · 检出 4 个');
    const carts = row('cam-1').locator('[data-testid=zone-model][data-model-id=carts]');
    expect(await carts.getAttribute('class')).toBe('muted'); // it did not run in this window
    expect(await row('cam-2').getByTestId('zone-models').textContent()).toBe('—');
    await screenshot(operator, 'zone-models-devices');

    await operator.getByTestId('lang-en').click();
    await operator.waitForFunction(() => document.querySelector('[data-testid=zone-model][data-model-id=stalls]')?.textContent === 'stalls 6 runs · 12 ms · 4 found');
  });
});

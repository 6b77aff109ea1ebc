/**
 * A grid inspector reports from the phone app in headless Chromium, as a mid-range phone on a slow
 * mobile network at a fixed GPS position (helpers/phone.ts): signed in, only the report screen
 * shows (no "my orders": an inspector has none); the position and its accuracy show; no photo, no
 * send; a report made while the network is down waits on the phone and goes once it is back; the
 * order it opened is the south team's (its area holds the place), with source `inspector`, the
 * photo as evidence kind `report` and the phone's position; a second report nearby joins it, filed
 * once although its first answer was lost and the phone sent it again; with
 * the position refused the phone says so and sends nothing. Against the real API, Redis and the
 * built app (`npm run build`). Screenshots go to test-artifacts/screenshots/inspector-app-*.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TestConfigExtra } from '../center/http/test-app.js';
import { sceneJpeg } from './fixtures.js';
import { OFFLINE, SLOW } from './helpers/phone.js';
import { phoneCentre } from './helpers/phone-centre.js';
import { screenshots } from './helpers/screenshots.js';

const INSPECTOR = 'inspector-token-01234567';
/** The south team works the old town: the square ±0.01° around this point. */
const OLD_TOWN = { lat: 32.05, long: 118.78 };
const HERE = { latitude: 32.0512, longitude: 118.7795, accuracy: 8 };
const EXTRA: TestConfigExtra = {
  teams: [
    { id: 'north', officers: [{ id: 'o-north' }] },
    {
      id: 'south', officers: [{ id: 'o-south' }],
      areas: [{ name: 'Old town', polygon: [[-1, -1], [-1, 1], [1, 1], [1, -1]].map(([a, b]) => ({ lat: OLD_TOWN.lat + a * 0.01, long: OLD_TOWN.long + b * 0.01 })) }],
    },
  ],
  users: [{ name: 'ivy', role: 'inspector', token: INSPECTOR }],
};

describe('inspector reports from the phone app', () => {
  const centre = phoneCentre('inspector-app', HERE, EXTRA);
  const { store, evidence } = centre;
  const screenshot = screenshots('inspector-app');
  /** What the centre refused the app (4xx): an inspector's app must ask for nothing it may not have. */
  const refused: string[] = [];

  it('queues a report made offline, sends it once when back online, and shows the order it opened', async () => {
    await centre.phone.run('inspector-app', flow);
  }, 180_000);

  async function flow(): Promise<void> {
    const inspector = centre.phone;
    const { page, context } = inspector;
    page.on('response', (r) => {
      if (r.status() >= 400 && r.status() !== 401) refused.push(`${r.status()} ${r.url()}`);
    });
    const photoFile = join(centre.dir, 'stall.jpg');
    writeFileSync(photoFile, await sceneJpeg(1280, 960, { r: 60, g: 160, b: 90 }));
    const vending = async () => (await store.list({ type: 'street_vending' }, { offset: 0, limit: 50 })).items;

    // Sign in (Chinese by default): the report screen, and nothing of an officer's.
    await page.goto(`${centre.base}/app/`);
    await page.getByTestId('token').fill(INSPECTOR);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('report-screen').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('screens').count()).toBe(0);
    expect(await page.getByTestId('officer-app').count()).toBe(0);
    // The types are the API's, in its order.
    expect(await page.getByTestId('report-type').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['illegal_parking', 'street_vending', 'obstruction', 'overstay']);

    // The phone's position and its accuracy; without a photo the report cannot go.
    const where = page.locator('[data-testid=report-location][data-state=ok]');
    await where.waitFor({ timeout: 20_000 });
    expect(await where.textContent()).toBe('位置 32.05120, 118.77950（精度 ±8 米）');
    expect(await page.getByTestId('report-send').isDisabled()).toBe(true);
    expect(await page.getByTestId('report-missing').textContent()).toBe('请拍一张问题现场的照片。');
    await screenshot(page, 'report-form');

    // A stall on the pavement: type, photo from the camera, plate-less, a word on it.
    await page.getByTestId('report-type').selectOption('street_vending');
    await page.getByTestId('report-photo').setInputFiles(photoFile);
    await page.getByTestId('report-preview').waitFor();
    await page.getByTestId('report-description').fill('人行道上的水果摊');
    expect(await page.getByTestId('report-send').isEnabled()).toBe(true);
    await screenshot(page, 'report-ready');

    // The network drops: the report stays on the phone, and says so.
    await inspector.network(OFFLINE);
    await page.getByTestId('report-send').click();
    const mine = page.getByTestId('my-report').first();
    await page.locator('[data-testid=my-report][data-status=retrying]').waitFor({ timeout: 20_000 });
    expect(await mine.textContent()).toBe('占道经营 · 已暂存在手机上，联网后自动发送');
    // The form is ready for the next one.
    expect(await page.getByTestId('report-preview').count()).toBe(0);
    expect(await vending()).toEqual([]);
    await screenshot(page, 'report-queued-offline');

    // Back online (slow): sent, once; the order it opened shows with its state.
    await inspector.network(SLOW);
    const sent = page.locator('[data-testid=my-report][data-status=sent]');
    await sent.waitFor({ timeout: 60_000 });
    await sent.getByTestId('report-order-state').waitFor();
    const orders = await vending();
    expect(orders).toHaveLength(1);
    const order = orders[0];
    expect(await sent.getAttribute('data-order-id')).toBe(order.id);
    expect(await sent.textContent()).toBe(`占道经营 · 已新建工单 ${order.id} 已派单`);
    expect(order).toMatchObject({
      source: 'inspector', state: 'dispatched', team: 'south', assignee: 'o-south', deviceId: null,
      location: { lat: HERE.latitude, long: HERE.longitude },
      reports: [{ source: 'inspector', user: 'ivy', description: '人行道上的水果摊', location: { lat: HERE.latitude, long: HERE.longitude } }],
    });
    expect(order.evidence.map((e) => e.kind)).toEqual(['report']);
    // Re-encoded on the phone (within its size limit), still a JPEG of the scene.
    expect(await sharp(await evidence.read(order.evidence[0].sha256)).metadata()).toMatchObject({ format: 'jpeg', width: 1280, height: 960 });
    expect(order.audit[0]).toMatchObject({ by: 'ivy', to: 'dispatched' });
    await screenshot(page, 'report-sent');

    // The same stall from a few metres on, with its plate: it joins that order. The centre's answer
    // to the first try is lost on the way back, so the phone sends it again: filed once.
    const tries: number[] = [];
    await page.route('**/api/reports', async (route) => {
      if (tries.length === 0) {
        tries.push((await route.fetch()).status());
        return route.abort('connectionreset');
      }
      tries.push(0);
      return route.continue();
    });
    await page.getByTestId('report-photo').setInputFiles(photoFile);
    await page.getByTestId('report-preview').waitFor();
    await page.getByTestId('report-plate').fill('苏A12345');
    await page.getByTestId('report-send').click();
    await page.locator('[data-testid=my-report][data-status=sent]').nth(1).waitFor({ timeout: 60_000 });
    await page.unroute('**/api/reports');
    expect(tries).toEqual([200, 0]);
    expect(await page.getByTestId('my-report').first().textContent()).toBe(`占道经营 · 已并入工单 ${order.id} 已派单`);
    const joined = (await store.get(order.id))!;
    expect(joined.reports.map((r) => r.plate ?? null)).toEqual([null, '苏A12345']);
    expect(await vending()).toHaveLength(1);

    // Position refused: the phone says so, and nothing can be sent. "My reports" is still there.
    await context.clearPermissions();
    await page.reload();
    await page.locator('[data-testid=report-location][data-state=denied]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('report-location').textContent()).toBe('位置 未允许本应用使用位置：请在浏览器设置中允许定位后再上报。');
    await page.getByTestId('report-photo').setInputFiles(photoFile);
    await page.getByTestId('report-preview').waitFor();
    expect(await page.getByTestId('report-send').isDisabled()).toBe(true);
    expect(await page.getByTestId('report-missing').textContent()).toBe('上报需要您的位置。');
    await page.locator('[data-testid=my-report][data-status=sent] [data-testid=report-order-state]').nth(1).waitFor({ timeout: 30_000 });
    await screenshot(page, 'location-denied');

    // English too.
    await page.getByTestId('lang-en').click();
    expect(await page.getByTestId('report-location').textContent()).toBe('Position This app may not use your position: allow location in the browser settings to report.');
    expect(await page.getByTestId('my-report').first().textContent()).toBe(`Street vending · Joined order ${order.id} Dispatched`);
    await screenshot(page, 'english');
    expect(refused).toEqual([]);

    // "My reports" is the centre's list, not only this phone's: a report Ivy sent from another
    // phone shows, and the two sent from this one still do when the phone has forgotten them.
    const form = new FormData();
    for (const [k, v] of Object.entries({ type: 'obstruction', lat: String(HERE.latitude), long: String(HERE.longitude) })) form.append(k, v);
    form.append('photo', new Blob([new Uint8Array(await sceneJpeg(640, 480, { r: 90, g: 90, b: 160 }))], { type: 'image/jpeg' }), 'crates.jpg');
    const elsewhere = await fetch(`${centre.base}/api/reports`, { method: 'POST', headers: { authorization: `Bearer ${INSPECTOR}` }, body: form });
    expect(elsewhere.status).toBe(201);
    const crates = (await elsewhere.json()) as { id: string };
    await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('streetwatch.officer.sentReports.')).forEach((k) => localStorage.removeItem(k)));
    await page.reload();
    await page.locator('[data-testid=my-report][data-status=sent]').nth(2).waitFor({ timeout: 30_000 });
    const lines = page.locator('[data-testid=my-report][data-status=sent]');
    expect(await lines.evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-order-id'), l.textContent]))).toEqual([
      [crates.id, `Obstruction · New order ${crates.id} Dispatched`],
      [order.id, `Street vending · Joined order ${order.id} Dispatched`],
      [order.id, `Street vending · New order ${order.id} Dispatched`],
    ]);
    await screenshot(page, 'my-reports-from-the-centre');
    expect(refused).toEqual([]);
  }
});

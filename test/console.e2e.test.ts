/**
 * Acceptance of the console issue, in headless Chromium against the real centre and a real
 * `edge run` on a cut of the clip: sign in; the parked vehicles arrive in the review queue; an
 * operator confirms one, which appears on the board with a green light; an officer accepts and
 * resolves it; the KPIs update; the operator rejects another with a reason; a zone drawn on the
 * camera's photo is sent and the box reports it applied; a lost connection shows "reconnecting"
 * and recovers. Screenshots of each screen go to test-artifacts/screenshots/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../console/headless.js';
import type { WorkOrder } from '../ticketing/work-order.js';
import { makeClip, sceneJpeg } from './fixtures.js';
import { addDevice, writeKerbEdgeConfig } from './helpers/kerb-box.js';
import { SCREENSHOTS, screenshots } from './helpers/screenshots.js';
import { startExampleCentre, type ExampleCentre } from './helpers/example-centre.js';
import { runCli, type Cli } from './helpers/processes.js';

const OPERATOR = 'demo-operator-token-0001';
const OFFICER = 'demo-officer-token-0001';

describe('console: review, board, officer, KPIs, zones in the browser', () => {
  let centre: ExampleCentre;
  let edge: Cli | undefined;
  let browser: Browser;
  let base: string;

  const apiGet = async <T>(path: string): Promise<T> => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json() as Promise<T>;
  const screenshot = screenshots('console');

  beforeAll(async () => {
    // The demo centre, with every detection waiting for review and no webhook receiver.
    centre = await startExampleCentre('con', (cfg) => {
      cfg.confirmation = { autoConfirm: { illegal_parking: 0.99, street_vending: 0.99 } };
    });
    base = centre.base;
    const { dir, mqttPort } = centre;

    const clip = makeClip(join(dir, 'vtest-60s.avi'), { seconds: 60 });
    const edgeConfig = writeKerbEdgeConfig(dir, { mqttPort, creds: addDevice(centre.prefix), clip, dwellSeconds: 5, evidenceRepeatSeconds: 30, telemetrySeconds: 2 });
    edge = runCli(['edge', 'run', '--config', edgeConfig]);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await centre?.stop();
  });

  const pages: Page[] = [];
  const browserLog: string[] = [];
  const signIn = async (token: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
    pages.push(page);
    page.on('console', (m) => browserLog.push(`[page ${pages.indexOf(page)}] ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => browserLog.push(`[page ${pages.indexOf(page)}] uncaught: ${e.message}`));
    await page.goto(base);
    await page.getByTestId('token').fill(token);
    return page;
  };

  it('takes a detection from the review queue to a resolved work order, and a zone edit to the box', async () => {
    try {
      await flow();
    } catch (err) {
      // What each page showed and said when it failed, for the CI log.
      for (const [i, p] of pages.entries()) await p.screenshot({ path: join(SCREENSHOTS, `console-failure-page-${i}.png`) }).catch(() => undefined);
      process.stderr.write(`browser console:\n${browserLog.join('\n')}\ncentre output (last 4000 characters):\n${centre.center.output().slice(-4000)}\n`);
      throw err;
    }
  }, 180_000);

  async function flow(): Promise<void> {
    // Sign in (the page is Chinese by default).
    const operator = await signIn(OPERATOR);
    expect(await operator.locator('html').getAttribute('lang')).toBe('zh-CN');
    await screenshot(operator, 'sign-in');
    await operator.getByTestId('sign-in-submit').click();
    await operator.locator('[data-testid=live][data-state=live]').waitFor();

    // The parked vehicles of the clip arrive in the review queue, oldest first, with their photos.
    await operator.getByTestId('review-row').nth(1).waitFor({ timeout: 60_000 });
    const [first, second] = await operator.getByTestId('review-row').evaluateAll((rows) => rows.slice(0, 2).map((r) => r.getAttribute('data-order-id')!));
    const item = operator.getByTestId('review-item');
    expect(await item.getAttribute('data-order-id')).toBe(first);
    await operator.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=review-item] img')].some((i) => i.naturalWidth > 0));
    expect(await item.locator('[data-testid=sla]').getAttribute('data-light')).toBe('green');
    await screenshot(operator, 'review-queue');

    // Confirm with the keyboard: the order leaves the queue and is on the board, green, dispatched.
    await operator.keyboard.press('Enter');
    await operator.locator(`[data-testid=review-row][data-order-id="${first}"]`).waitFor({ state: 'detached' });
    await operator.getByTestId('nav-board').click();
    const row = operator.locator(`[data-testid=board-row][data-order-id="${first}"]`);
    await row.waitFor();
    expect(await row.locator('[data-testid=sla]').getAttribute('data-light')).toBe('green');
    expect(await row.locator('[data-testid=state]').getAttribute('data-state')).toBe('dispatched');
    expect(await operator.locator('[data-testid=plan-camera][data-camera="pole-0001/cam-1"]').getAttribute('data-light')).toBe('green');
    await screenshot(operator, 'board');

    // The KPIs before the officer acts.
    await operator.getByTestId('nav-kpis').click();
    await operator.getByTestId('kpi-resolved-value').waitFor();
    expect(await operator.getByTestId('kpi-resolved-value').textContent()).toBe('0');

    // An officer, in a browser of their own, accepts, arrives and resolves it from the order's detail.
    const officer = await signIn(OFFICER);
    await officer.getByTestId('sign-in-submit').click();
    await officer.locator('[data-testid=live][data-state=live]').waitFor();
    await officer.goto(`${base}/#/board/${first}`);
    const detail = officer.getByTestId('order-detail');
    for (const to of ['accepted', 'on_site', 'resolved']) {
      if (to === 'resolved') {
        // Resolving needs the officer's photo of the scene (taken in the officer app; sent here directly).
        const photo = await fetch(`${base}/api/orders/${first}/photos`, { method: 'POST', headers: { authorization: `Bearer ${OFFICER}`, 'content-type': 'image/jpeg' }, body: new Uint8Array(await sceneJpeg()) });
        expect(photo.status).toBe(201);
        await screenshot(officer, 'order-detail');
      }
      await detail.getByTestId(`move-${to}`).click();
      await detail.locator(`[data-testid=state][data-state=${to}]`).waitFor();
    }
    // Awaiting review, confirmed, accepted, on site, the officer's photo (who took it), resolved.
    expect(await detail.getByTestId('timeline').locator('li').count()).toBe(6);
    // The camera that found it checks the resolve: waiting for it, or unverified if the clip ended first.
    await detail.getByTestId('verification').waitFor();
    expect(['waiting', 'unverified']).toContain(await detail.getByTestId('verification').getAttribute('data-status'));
    expect(await detail.getByTestId('verification-detail').textContent()).toMatch(/待摄像头核验|未能核验/);
    await screenshot(officer, 'order-detail-camera-check');

    // The operator's KPI screen follows live: one resolved, in time.
    await operator.waitForFunction(() => document.querySelector('[data-testid=kpi-resolved-value]')?.textContent === '1', undefined, { timeout: 30_000 });
    expect(await operator.getByTestId('kpi-compliance-value').textContent()).toBe('100%');
    await screenshot(operator, 'kpis');

    // Reject the second detection as the wrong class: R, then reason 2.
    await operator.getByTestId('nav-review').click();
    await operator.locator(`[data-testid=review-row][data-order-id="${second}"]`).click();
    await operator.keyboard.press('r');
    await operator.getByTestId('reject-reasons').waitFor();
    await operator.keyboard.press('2');
    await operator.locator(`[data-testid=review-row][data-order-id="${second}"]`).waitFor({ state: 'detached' });
    const rejected = await apiGet<WorkOrder>(`/api/orders/${second}`);
    expect(rejected).toMatchObject({ state: 'rejected', rejection: { reason: 'wrong_class' } });
    expect(rejected.audit.at(-1)).toMatchObject({ by: 'operator', to: 'rejected' });

    // The box and its camera are online, with frame rate, inference time and decoding load.
    await operator.getByTestId('nav-devices').click();
    const box = operator.locator('[data-testid=device][data-device-id=pole-0001]');
    await box.locator('[data-testid=fps]').waitFor();
    expect(await box.getAttribute('data-health')).toBe('online');
    await operator.waitForFunction(() => /^\d+ %$/.test(document.querySelector('[data-testid=device][data-device-id=pole-0001] [data-testid=decode]')?.textContent ?? ''));
    await screenshot(operator, 'devices');

    // Draw a zone on the camera's latest photo, send it, and see the box apply it.
    await operator.getByTestId('nav-zones').click();
    await operator.waitForFunction(() => (document.querySelector<HTMLImageElement>('[data-testid=zone-canvas] img')?.naturalWidth ?? 0) > 0);
    await operator.getByTestId('zone-new').click();
    const svg = (await operator.getByTestId('zone-svg').boundingBox())!;
    for (const [x, y] of [[0.6, 0.05], [0.98, 0.05], [0.98, 0.3], [0.6, 0.3]]) await operator.mouse.click(svg.x + x * svg.width, svg.y + y * svg.height);
    await operator.getByTestId('zone-finish').click();
    await operator.getByTestId('zone-id').fill('kerb-east');
    await operator.getByTestId('zone-dwell').fill('20');
    await operator.getByTestId('zone-send').click();
    await operator.locator('[data-testid=config-status][data-state=applied]').waitFor({ timeout: 30_000 });
    const config = await apiGet<{ desired: { version: number; config: { cameras: { id: string; zones: { id: string; dwellSeconds: number; polygon: number[][]; [k: string]: unknown }[] }[] } }; reported: { message: { version: number; status: string } } }>('/api/devices/pole-0001/config');
    expect(config.reported.message).toMatchObject({ version: config.desired.version, status: 'applied' });
    // The editor started from the zone the box reported running (from its file) and sent it back unchanged.
    const [kept, drawn] = config.desired.config.cameras[0].zones;
    expect(config.desired.config.cameras[0].zones).toHaveLength(2);
    expect(kept).toMatchObject({ id: 'kerb', kind: 'no_parking', dwellSeconds: 5, vehicleClasses: ['car', 'truck', 'bus', 'motorcycle'] });
    expect(drawn).toMatchObject({ id: 'kerb-east', dwellSeconds: 20 });
    expect(drawn.polygon[0][0]).toBeCloseTo(0.6, 1);
    await screenshot(operator, 'zones');

    // English on request, kept across a reload.
    await operator.getByTestId('lang-en').click();
    await operator.reload();
    await operator.getByTestId('nav-review').waitFor();
    expect(await operator.getByTestId('nav-review').textContent()).toContain('Review');

    // A lost connection says so, and comes back by itself.
    await edge?.stop();
    await centre.restart(async () => {
      await operator.getByTestId('reconnecting').waitFor({ timeout: 15_000 });
      await screenshot(operator, 'reconnecting');
    });
    await operator.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 20_000 });
    expect(await operator.getByTestId('live').getAttribute('data-state')).toBe('live');
  }
});

/**
 * The officer's phone app in headless Chromium, as a mid-range phone on a slow mobile network
 * (390×844 at 2×, throttled with CDP): sign in as an officer; the dispatched order is listed, and
 * one dispatched meanwhile arrives live, most urgent first; accept → on scene; resolving without
 * a photo is refused; a photo taken while the network is down waits in the queue and goes up once
 * it is back; resolved, on the server too. Against the real API, Redis and the built app
 * (`npm run build`). Screenshots go to test-artifacts/screenshots/officer-app-*.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { seedOrder } from '../center/http/test-store.js';
import { TOKENS } from '../center/http/test-app.js';
import { sceneJpeg } from './fixtures.js';
import { OFFLINE, SLOW } from './helpers/phone.js';
import { phoneCentre } from './helpers/phone-centre.js';
import { screenshots } from './helpers/screenshots.js';

describe('officer app on a phone', () => {
  const centre = phoneCentre('officer-app', { latitude: 32.05, longitude: 118.79 });
  const { store, evidence, dir } = centre;
  const screenshot = screenshots('officer-app');

  it('takes a dispatched order to resolved with a photo uploaded after the network came back', async () => {
    await centre.phone.run('officer-app', flow);
  }, 180_000);

  async function flow(): Promise<void> {
    const officer = centre.phone;
    const { page } = officer;
    const cameraPhoto = await evidence.put(await sceneJpeg(640, 360, { r: 200, g: 60, b: 60 }));
    const photoFile = join(dir, 'scene.jpg');
    writeFileSync(photoFile, await sceneJpeg());
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const first = await seedOrder(store, { discoveredAt: minutesAgo(2), assignee: 'o-north', plate: '苏A12345', evidence: [{ sha256: cameraPhoto, kind: 'full' }], location: { lat: 32.06, long: 118.79, address: '中山路 1 号' } });
    // Someone else's order is not listed.
    await seedOrder(store, { discoveredAt: minutesAgo(3), assignee: 'o-north-2' });

    // Sign in (Chinese by default) with the officer's token.
    await page.goto(`${centre.base}/app/`);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('link[rel=manifest]').getAttribute('href')).toBe('/app/manifest.webmanifest');
    await page.getByTestId('token').fill(TOKENS.officer);
    await screenshot(page, 'sign-in');
    await page.getByTestId('sign-in-submit').click();
    await page.locator('[data-testid=live][data-state=live]').waitFor({ timeout: 30_000 });
    const card = page.locator(`[data-testid=officer-order][data-order-id="${first.id}"]`);
    await card.waitFor();
    // Installable: the service worker runs and holds the app shell.
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toBe(`${centre.base}/app/sw.js`);
    expect(await page.evaluate(async () => Boolean(await caches.match('/app/')))).toBe(true);
    expect(await page.getByTestId('officer-order').count()).toBe(1);
    // An officer may not report (POST /api/reports): no report screen, no tabs.
    expect(await page.getByTestId('screens').count()).toBe(0);
    expect(await page.getByTestId('report-screen').count()).toBe(0);
    expect(await card.getByTestId('plate').textContent()).toBe('苏A12345');
    expect(await card.getByTestId('sla').getAttribute('data-light')).toBe('green');
    expect(await card.getByTestId('distance').textContent()).toMatch(/^1\.1 公里$/);
    await page.waitForFunction((id) => [...document.querySelectorAll<HTMLImageElement>(`[data-order-id="${id}"] img`)].some((i) => i.naturalWidth > 0), first.id, { timeout: 30_000 });

    // A yellow order dispatched to the officer now arrives live and goes to the top.
    const urgent = await seedOrder(store, { discoveredAt: minutesAgo(25), assignee: 'o-north' });
    await page.locator(`[data-testid=officer-order][data-order-id="${urgent.id}"]`).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('officer-order').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-order-id')))).toEqual([urgent.id, first.id]);
    await screenshot(page, 'my-orders');

    // Accept, arrive.
    for (const to of ['accepted', 'on_site']) {
      await card.getByTestId(`move-${to}`).click();
      await page.locator(`[data-testid=officer-order][data-order-id="${first.id}"][data-state=${to}]`).waitFor();
    }
    // Resolving without a photo of the scene is refused, and the officer is told why.
    await card.getByTestId('move-resolved').click();
    expect(await card.getByTestId('card-error').textContent()).toBe('处置完成前请至少拍一张现场照片。');
    expect((await store.get(first.id))!.state).toBe('on_site');

    // The network drops; the photo waits in the queue.
    await officer.network(OFFLINE);
    await card.getByTestId('photo-input').setInputFiles(photoFile);
    await card.locator('[data-testid=pending-photos][data-count="1"]').waitFor();
    await page.getByTestId('photos-retrying').waitFor({ timeout: 20_000 });
    expect((await store.get(first.id))!.evidence.filter((e) => e.kind === 'officer')).toHaveLength(0);
    await screenshot(page, 'photo-queued-offline');

    // Back online (slow): it goes up, and the card counts it.
    await officer.network(SLOW);
    await card.locator('[data-testid=officer-photos][data-count="1"]').waitFor({ timeout: 60_000 });
    await card.getByTestId('pending-photos').waitFor({ state: 'detached' });
    const withPhoto = (await store.get(first.id))!;
    const officerPhotos = withPhoto.evidence.filter((e) => e.kind === 'officer');
    expect(officerPhotos).toHaveLength(1);
    // Scaled down for the slow network, still a JPEG of the scene.
    const stored = await sharp(await evidence.read(officerPhotos[0].sha256)).metadata();
    expect(stored).toMatchObject({ format: 'jpeg', width: 1280, height: 960 });
    await screenshot(page, 'photo-uploaded');

    // Resolve: the order leaves the list, and the server has it resolved.
    await card.getByTestId('move-resolved').click();
    await card.waitFor({ state: 'detached', timeout: 30_000 });
    const resolved = (await store.get(first.id))!;
    expect(resolved.state).toBe('resolved');
    expect(resolved.audit.slice(-4).map((a) => [a.by, a.to, a.note?.startsWith('photo of the scene') ?? false])).toEqual([['nick', 'accepted', false], ['nick', 'on_site', false], ['nick', 'on_site', true], ['nick', 'resolved', false]]);
    expect(await page.getByTestId('order-count').textContent()).toBe('1');

    // Unable to handle the other one: a reason from the list; it leaves the officer's list for the supervisor.
    const other = page.locator(`[data-testid=officer-order][data-order-id="${urgent.id}"]`);
    await other.getByTestId('unable-open').click();
    await other.getByTestId('unable-reason').selectOption('needs_tow_truck');
    await screenshot(page, 'unable');
    await other.getByTestId('unable-send').click();
    await other.waitFor({ state: 'detached', timeout: 30_000 });
    expect(await store.get(urgent.id)).toMatchObject({ state: 'unable', unable: { reason: 'needs_tow_truck', by: 'nick' } });
    await screenshot(page, 'all-done');
  }
});

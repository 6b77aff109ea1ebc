/**
 * The phone app's queues run whichever screen is shown, for a user with both screens (an admin who
 * is also an officer, in headless Chromium as a mid-range phone: helpers/phone.ts): a report made
 * offline on the report screen goes once the network is back while "my orders" is shown, filed
 * once; a scene photo taken offline on "my orders" goes while the report screen is shown. Against
 * the real API, Redis and the built app (`npm run build`). A phone that cannot store uploads says so,
 * and still sends them while the page is open.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestConfigExtra } from '../center/http/test-app.js';
import { sceneJpeg } from './fixtures.js';
import { OFFLINE, phone, SLOW, type Phone } from './helpers/phone.js';
import { phoneCentre } from './helpers/phone-centre.js';
import { waitFor } from './helpers/wait.js';

const ADMIN = 'admin-officer-token-0123456';
const HERE = { latitude: 32.0512, longitude: 118.7795, accuracy: 8 };
/** Ada is an admin (she may report) and the south team's officer (she has orders): both screens. */
const EXTRA: TestConfigExtra = {
  teams: [
    { id: 'north', officers: [{ id: 'o-north' }] },
    // Her reports' place is in the south team's area, so the order each opens is hers to handle.
    { id: 'south', officers: [{ id: 'o-south' }], areas: [{ name: 'Old town', polygon: [[32.04, 118.77], [32.04, 118.79], [32.06, 118.79], [32.06, 118.77]].map(([lat, long]) => ({ lat, long })) }] },
  ],
  users: [{ name: 'ada', role: 'admin', token: ADMIN, officerId: 'o-south' }],
};

describe('the phone app sends every queue of its user, whichever screen is open', () => {
  const centre = phoneCentre('phone-queues', HERE, EXTRA);
  const { store } = centre;
  const photoFile = join(centre.dir, 'scene.jpg');

  beforeAll(async () => writeFileSync(photoFile, await sceneJpeg(1280, 960, { r: 60, g: 160, b: 90 })));

  it('sends a report while "my orders" is shown, and a photo while the report screen is', async () => {
    await centre.phone.run('phone-queues', flow);
  }, 180_000);

  it('tells the user when the phone cannot keep uploads, and sends them while the page is open', async () => {
    const reports = async () => (await store.list({}, { offset: 0, limit: 50 })).items.reduce((n, o) => n + o.reports.length, 0);
    const before = await reports();
    const bare = await phone(HERE, { noStorage: true });
    try {
      await bare.run('phone-not-kept', async () => {
        const { page } = bare;
        await signIn(page);
        await page.getByTestId('screen-report').click();
        await page.getByTestId('not-kept').waitFor();
        await page.locator('[data-testid=report-location][data-state=ok]').waitFor({ timeout: 20_000 });
        await page.getByTestId('report-photo').setInputFiles(photoFile);
        await page.getByTestId('report-preview').waitFor();
        await page.getByTestId('report-send').click();
        await waitFor(async () => (await reports()) > before, 'the report at the centre', 60_000);
      });
    } finally {
      await bare.close();
    }
    expect(await reports()).toBe(before + 1);
  }, 120_000);

  async function signIn(page: Phone['page']): Promise<void> {
    await page.goto(`${centre.base}/app/`);
    await page.getByTestId('token').fill(ADMIN);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('screens').waitFor({ timeout: 30_000 });
  }

  async function flow(): Promise<void> {
    const ada = centre.phone;
    const { page } = ada;
    const all = async () => (await store.list({}, { offset: 0, limit: 50 })).items;
    const show = async (screen: 'orders' | 'report') => {
      await page.getByTestId(`screen-${screen}`).click();
      await page.getByTestId(screen === 'orders' ? 'officer-app' : 'report-screen').waitFor();
    };

    await signIn(page);

    // A report made on the report screen while the network is down waits on the phone.
    await show('report');
    await page.locator('[data-testid=report-location][data-state=ok]').waitFor({ timeout: 20_000 });
    await page.getByTestId('report-photo').setInputFiles(photoFile);
    await page.getByTestId('report-preview').waitFor();
    await ada.network(OFFLINE);
    await page.getByTestId('report-send').click();
    await page.locator('[data-testid=my-report][data-status=retrying]').waitFor({ timeout: 20_000 });
    // A phone that can store the report gives no warning that it cannot (the next test's phone does).
    expect(await page.getByTestId('not-kept').count()).toBe(0);

    // "My orders" shown, the network back: the report goes all the same, once.
    await show('orders');
    await ada.network(SLOW);
    await waitFor(async () => (await all()).length > 0, 'the report at the centre', 60_000);
    expect(await page.getByTestId('report-screen').count()).toBe(0);
    // The order it opened is Ada's: it arrives on the screen shown.
    const card = page.getByTestId('officer-order');
    await card.waitFor({ timeout: 30_000 });
    const orders = await all();
    expect(orders).toHaveLength(1);
    const [order] = orders;
    expect(order).toMatchObject({ source: 'inspector', assignee: 'o-south', reports: [{ user: 'ada' }] });
    expect(order.reports).toHaveLength(1);
    // Back on the report screen, it is listed as sent, with its order.
    await show('report');
    await page.locator(`[data-testid=my-report][data-status=sent][data-order-id="${order.id}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=my-report]:not([data-status=sent])').count()).toBe(0);

    // On scene, a photo taken while the network is down waits on the phone.
    await show('orders');
    for (const to of ['accepted', 'on_site']) {
      await card.getByTestId(`move-${to}`).click();
      await page.locator(`[data-testid=officer-order][data-state=${to}]`).waitFor();
    }
    await ada.network(OFFLINE);
    await card.getByTestId('photo-input').setInputFiles(photoFile);
    await card.locator('[data-testid=pending-photos][data-count="1"]').waitFor();
    await page.getByTestId('photos-retrying').waitFor({ timeout: 20_000 });

    // The report screen shown, the network back: the photo goes all the same.
    await show('report');
    await ada.network(SLOW);
    const officerPhotos = async () => (await store.get(order.id))!.evidence.filter((e) => e.kind === 'officer').length;
    await waitFor(async () => (await officerPhotos()) > 0, 'the photo at the centre', 60_000);
    expect(await page.getByTestId('officer-app').count()).toBe(0);
    expect(await officerPhotos()).toBe(1);
    await show('orders');
    await card.locator('[data-testid=officer-photos][data-count="1"]').waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('pending-photos').count()).toBe(0);
    expect(await all()).toHaveLength(1);
  }
});

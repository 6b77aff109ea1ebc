/**
 * Issue 14 §1, sign-in through the city's identity provider, in headless Chromium: the real centre
 * (as in its image) with `http.oidc`, and a real OpenID Connect provider on another site
 * (`localhost` against the centre's `127.0.0.1`), so the browser's own cookie rules apply. The
 * button leads to the provider's form and back into the console with the group's role; a user in
 * no mapped group lands on the sign-in page told why.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, startProvider, type TestProvider } from '../center/http/test-oidc-provider.js';
import { launchChromium } from '../console/headless.js';
import { startExampleCentre, type ExampleCentre } from './helpers/example-centre.js';
import { screenshots } from './helpers/screenshots.js';

describe('console: sign-in through the identity provider in the browser', () => {
  const screenshot = screenshots('oidc');
  let centre: ExampleCentre;
  let provider: TestProvider;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    centre = await startExampleCentre('oidc', async (cfg, centreUrl) => {
      provider = await startProvider(`${centreUrl}/api/session/oidc/callback`, 'localhost');
      cfg.http = { ...cfg.http, publicUrl: centreUrl, oidc: { issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: '${OIDC_CLIENT_SECRET}', roles: { 'sw-admins': 'admin' } } };
    }, { OIDC_CLIENT_SECRET: CLIENT_SECRET });
    base = centre.base;
    provider.people.set('p-chief', { preferred_username: 'chief.wang', name: 'Chief Wang', groups: ['sw-admins'] });
    provider.people.set('p-guest', { preferred_username: 'guest', groups: ['visitors'] });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await centre?.stop();
    await provider?.close();
  });

  /** From the console's sign-in page through the provider's form (and its consent page) as `login`. */
  const signInAtProvider = async (login: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(base);
    await page.getByTestId('sign-in-oidc').click();
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.locator('button[type=submit]').click();
    // oidc-provider's development pages ask for consent once per person.
    await page.waitForURL((u) => u.origin === base || u.pathname.startsWith('/interaction/'));
    if (new URL(page.url()).origin !== base) await page.locator('button[type=submit]').click();
    await page.waitForURL((u) => u.origin === base);
    return page;
  };

  it('the button signs an admin group member in as admin; the users page says they came from the provider', async () => {
    const page = await signInAtProvider('p-chief');
    await page.locator('[data-testid=live][data-state=live]').waitFor();
    expect(await page.getByTestId('user').textContent()).toMatch(/Chief Wang · (Admin|管理员)/);
    expect(await page.getByTestId('change-password-open').count()).toBe(0); // no password here to change
    await page.goto(`${base}/#/users`);
    const row = page.locator('[data-testid=user-row][data-name="chief.wang"][data-source=oidc]');
    await row.waitFor();
    expect(await row.getByTestId('user-reset').count()).toBe(0);
    await screenshot(page, 'users');
    const cookies = await page.context().cookies(base);
    expect(cookies.map((c) => c.name)).toEqual(['sw_session']);
  });

  it('a user in no mapped group is back on the sign-in page, told why, with no session', async () => {
    const page = await signInAtProvider('p-guest');
    const alert = page.getByTestId('sign-in-oidc-error');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('no_role');
    expect(await alert.textContent()).toMatch(/none of your groups|均无 StreetWatch 访问权限/);
    expect(new URL(page.url()).search).toBe(''); // taken off the address, so a reload does not show it again
    await screenshot(page, 'refused');
    expect((await page.request.get(`${base}/api/session`)).status()).toBe(401);
  });
});

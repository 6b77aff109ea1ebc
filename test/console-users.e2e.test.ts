/**
 * Issue 14 §1 in headless Chromium against the real centre: the first admin is made with
 * `streetwatch user add` (a one-time password), signs in by name, must choose their own password
 * before anything else, and is then in the console; the old password no longer signs in, and
 * the demo's config users still sign in with their tokens.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../console/headless.js';
import { startExampleCentre, type ExampleCentre } from './helpers/example-centre.js';
import { runCli } from './helpers/processes.js';
import { screenshots } from './helpers/screenshots.js';

describe('console: user accounts in the browser', () => {
  const screenshot = screenshots('users');
  let centre: ExampleCentre;
  let browser: Browser;
  let base: string;

  const cli = async (args: string[]): Promise<string> => {
    const run = runCli(args, { STREETWATCH_REDIS_PREFIX: centre.prefix });
    const code = await run.exited;
    if (code !== 0) throw new Error(`streetwatch ${args.join(' ')} exited ${code}: ${run.output()}`);
    return run.output();
  };

  beforeAll(async () => {
    centre = await startExampleCentre('usr');
    base = centre.base;
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await centre?.stop();
  });

  const open = async (): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(base);
    return page;
  };
  const signIn = async (page: Page, name: string, secret: string) => {
    await page.getByTestId('name').fill(name);
    await page.getByTestId('token').fill(secret);
    await page.getByTestId('sign-in-submit').click();
  };

  it('the first admin signs in with a one-time password, must change it, and is then in', async () => {
    const out = await cli(['user', 'add', 'chief', '--role', 'admin', '--display-name', 'Chief Wang']);
    const oneTime = /one-time password: (\S+)/.exec(out)![1];

    const page = await open();
    await signIn(page, 'chief', 'not the password');
    expect(await page.getByRole('alert').textContent()).toMatch(/wrong password|密码错误/);
    await signIn(page, 'chief', oneTime);
    await page.getByTestId('change-password').waitFor();
    await screenshot(page, 'must-change');
    // The policy's refusal is shown as the centre says it.
    await page.getByTestId('password-current').fill(oneTime);
    await page.getByTestId('password-next').fill('chief-is-my-password');
    await page.getByTestId('password-submit').click();
    expect(await page.getByRole('alert').textContent()).toContain('may not contain the user name');
    await page.getByTestId('password-current').fill(oneTime);
    await page.getByTestId('password-next').fill('my own long phrase 7');
    await page.getByTestId('password-submit').click();
    await page.locator('[data-testid=live][data-state=live]').waitFor();
    expect(await page.getByTestId('user').textContent()).toContain('Chief Wang');

    // The one-time password is gone; the new one works; the API agrees.
    const again = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'chief', password: oneTime }) });
    expect(again.status).toBe(401);
    const ok = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'chief', password: 'my own long phrase 7' }) });
    expect(ok.status).toBe(200);
    expect(JSON.parse(await cli(['user', 'list', '--json']))).toEqual([expect.objectContaining({ name: 'chief', mustChangePassword: false })]);
  });

  it('the admin creates a user on the Users page, who signs in with the one-time password; disable and lockout clearing work there', async () => {
    const page = await open();
    await signIn(page, 'chief', 'my own long phrase 7');
    await page.locator('[data-testid=live][data-state=live]').waitFor();
    await page.goto(`${base}/#/users`);
    await page.getByTestId('user-name').fill('li');
    await page.getByTestId('user-display-name').fill('Officer Li');
    await page.getByTestId('user-role').selectOption('officer');
    await page.getByTestId('user-create').click();
    expect(await page.getByTestId('users-error').textContent()).toContain('officerId');
    await page.getByTestId('user-officer-id').fill('li');
    await page.getByTestId('user-create').click();
    const oneTime = (await page.locator('[data-testid=one-time-password][data-user=li] code').textContent())!;
    const row = page.locator('[data-testid=user-row][data-name=li]');
    await row.waitFor();
    await screenshot(page, 'users');

    const li = await open();
    await signIn(li, 'li', oneTime);
    await li.getByTestId('change-password').waitFor();

    // Five wrong passwords lock li out; the admin sees it and clears it.
    for (let i = 0; i < 5; i++) await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'li', password: `wrong guess ${i}` }) });
    await page.reload();
    await page.locator('[data-testid=user-row][data-name=li][data-state=locked]').waitFor();
    await row.getByTestId('user-unlock').click();
    await page.locator('[data-testid=user-row][data-name=li][data-state=active]').waitFor();

    // Disabled: li's open session ends.
    await row.getByTestId('user-disable').click();
    await page.locator('[data-testid=user-row][data-name=li][data-state=disabled]').waitFor();
    expect((await li.request.get(`${base}/api/session`)).status()).toBe(401);
    const audit = await (await page.request.get(`${base}/api/audit`)).json() as { items: Array<{ action: string; by: string; subject: string }> };
    expect(audit.items.filter((l) => l.subject === 'li').map((l) => `${l.action} by ${l.by}`)).toEqual(['user.disabled by chief', 'sign-in-lockout.cleared by chief', 'user.added by chief']);
  });

  it('a config user of the demo still signs in with their token, named or not', async () => {
    const page = await open();
    await signIn(page, 'operator', 'demo-operator-token-0001');
    await page.locator('[data-testid=live][data-state=live]').waitFor();
    const other = await open();
    await signIn(other, '', 'demo-operator-token-0001');
    await other.locator('[data-testid=live][data-state=live]').waitFor();
  });
});

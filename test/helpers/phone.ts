/**
 * The phone app's end-to-end tests run it as a mid-range phone in headless Chromium: 390×844 at
 * 2×, touch, a position the browser may tell (the context's geolocation override), on a slow
 * mobile network throttled with CDP, which a test may cut and restore.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../../console/headless.js';
import { SCREENSHOTS } from './screenshots.js';

/** A slow 3G-ish link: what a phone has at the kerb between buildings. */
export const SLOW = { offline: false, latency: 300, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
export const OFFLINE = { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };

/** Where a phone stands: the browser's geolocation, accuracy in metres. */
export interface Place {
  latitude: number;
  longitude: number;
  accuracy?: number;
}

export interface Phone {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** What the page logged, and its uncaught errors. */
  log: string[];
  network(conditions: typeof SLOW | typeof OFFLINE): Promise<void>;
  /**
   * Runs a test's flow; on failure saves `<prefix>-failure.png` and prints the browser's log,
   * then fails.
   */
  run(prefix: string, flow: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * A phone standing at `at` (accuracy in metres) that lets the app read its position, on the slow
 * network. `noStorage`: a browser without IndexedDB (private browsing, storage blocked by policy).
 */
export async function phone(at: Place, opts: { noStorage?: boolean } = {}): Promise<Phone> {
  const browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    geolocation: at,
    permissions: ['geolocation'],
  });
  if (opts.noStorage) await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`uncaught: ${e.message}`));
  const cdp: CDPSession = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const network = async (c: typeof SLOW | typeof OFFLINE) => void (await cdp.send('Network.emulateNetworkConditions', c));
  await network(SLOW);
  return {
    browser,
    context,
    page,
    log,
    network,
    async run(prefix, flow) {
      try {
        await flow();
      } catch (err) {
        await page.screenshot({ path: join(SCREENSHOTS, `${prefix}-failure.png`) }).catch(() => undefined);
        process.stderr.write(`browser console:\n${log.join('\n')}\n`);
        throw err;
      }
    },
    close: () => browser.close(),
  };
}

/**
 * Headless Chromium for the console's end-to-end test and benchmark: Debian's `chromium` package
 * driven by playwright-core (which downloads no browser of its own). The flags keep Chromium from
 * calling home, which on a closed network would stall it; playwright gives it a fresh profile.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

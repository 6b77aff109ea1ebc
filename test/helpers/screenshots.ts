/**
 * Screenshots of the console's end-to-end tests, in test-artifacts/screenshots/ (listed by CI).
 * Each test file names its files with a prefix of its own and clears only those: the files run in
 * parallel workers, and one must not delete what another has just taken.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../common/paths.js';

export const SCREENSHOTS = join(projectRoot, 'test-artifacts', 'screenshots');

/** Clears `<prefix>-*` and answers a function saving `<prefix>-NN-<name>.png`, numbered in order. */
export function screenshots(prefix: string): (page: Page, name: string) => Promise<Buffer> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const f of readdirSync(SCREENSHOTS)) if (f.startsWith(`${prefix}-`)) rmSync(join(SCREENSHOTS, f));
  let n = 0;
  return (page, name) => page.screenshot({ path: join(SCREENSHOTS, `${prefix}-${String(++n).padStart(2, '0')}-${name}.png`) });
}

/** The officer app as `npm run build` makes it (console/dist/app), served under /app/. Needs the build. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../common/paths.js';
import { testApi } from './test-app.js';

const dist = join(projectRoot, 'console', 'dist');

describe.runIf(existsSync(join(dist, 'app', 'index.html')))('officer app files', () => {
  const { app, close } = testApi({ deps: { consoleDir: dist } });
  afterAll(() => close());

  it('serves the page at /app/ with its manifest, and the page loads the officer bundle', async () => {
    const page = await app.inject({ url: '/app/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('<link rel="manifest" href="/app/manifest.webmanifest">');
    const script = /src="(\/assets\/officer-[^"]+\.js)"/.exec(page.body)![1];
    const js = await app.inject({ url: script });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');

    const manifest = await app.inject({ url: '/app/manifest.webmanifest' });
    expect(manifest.statusCode).toBe(200);
    expect(manifest.json()).toMatchObject({ start_url: '/app/', scope: '/app/', display: 'standalone', icons: [{ sizes: '192x192' }, { sizes: '512x512' }] });
    const icon = await app.inject({ url: '/app/icon-192.png' });
    expect(icon.headers['content-type']).toBe('image/png');
    expect(icon.rawPayload.subarray(1, 4).toString()).toBe('PNG');
  });

  it('serves the service worker, never cached stale, listing the shell it caches', async () => {
    const sw = await app.inject({ url: '/app/sw.js' });
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['content-type']).toMatch(/javascript/);
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.body).toContain('"/app/"');
    expect(sw.body).toMatch(/\/assets\/officer-[^"]+\.js/);
  });
});

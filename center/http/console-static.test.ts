import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { testApi } from './test-app.js';

const PAGE = '<!doctype html><title>StreetWatch</title><div id="app"></div>'.repeat(20);
const SCRIPT = 'console.log("the console");'.repeat(50);

/** A built console as `npm run build` lays it out: each file with its .br and .gz copy. */
function builtConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-console-dist-'));
  mkdirSync(join(dir, 'assets'));
  for (const [name, text] of [['index.html', PAGE], ['assets/main-ABC123.js', SCRIPT]]) {
    writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, `${name}.br`), brotliCompressSync(text));
    writeFileSync(join(dir, `${name}.gz`), gzipSync(text));
  }
  return dir;
}

describe('console files', () => {
  const dir = builtConsole();
  const { app, close } = testApi({ deps: { consoleDir: dir } });
  const unbuilt = testApi({ deps: { consoleDir: join(dir, 'missing') } });
  afterAll(async () => {
    await close();
    await unbuilt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page without a session, pre-compressed as the browser accepts, never cached stale', async () => {
    const br = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers).toMatchObject({ 'content-encoding': 'br', 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', vary: 'accept-encoding' });
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(PAGE);
    expect(br.headers['content-security-policy']).toContain("default-src 'self'");
    expect(br.headers['content-security-policy']).toContain("connect-src 'self'");
    const gz = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(PAGE);
    const plain = await app.inject({ url: '/' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(PAGE);
  });

  it('lets browsers keep the content-hashed assets for good', async () => {
    const js = await app.inject({ url: '/assets/main-ABC123.js', headers: { 'accept-encoding': 'br' } });
    expect(js.statusCode).toBe(200);
    expect(js.headers).toMatchObject({ 'content-encoding': 'br', 'cache-control': 'public, max-age=31536000, immutable' });
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['content-security-policy']).toBeUndefined();
    expect(brotliDecompressSync(js.rawPayload).toString()).toBe(SCRIPT);
  });

  it('makes only the files public: data still needs a session, unknown paths are 404', async () => {
    expect((await app.inject({ url: '/api/orders' })).statusCode).toBe(401);
    const missing = await app.inject({ url: '/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await app.inject({ url: '/../package.json' })).statusCode).toBe(404);
  });

  it('says so when the console was not built', async () => {
    const res = await unbuilt.app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
  });
});

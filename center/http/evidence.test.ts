import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMediaSigner } from './media-links.js';
import { auth, testApi } from './test-app.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
const SHA = createHash('sha256').update(JPEG).digest('hex');
const MISSING = 'f'.repeat(64);
const NOW = Date.UTC(2026, 10, 26, 9, 0);

describe('evidence API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-evidence-'));
  writeFileSync(join(dir, `${SHA}.jpg`), JPEG);
  let now = NOW;
  const { app, close } = testApi({
    deps: { evidence: { path: (sha) => (sha === SHA || sha === MISSING ? join(dir, `${sha}.jpg`) : null), put: async () => SHA }, now: () => now },
  });
  const signer = createMediaSigner({ linkSecret: 'test-link-secret-123', linkTtlMinutes: 60 });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a photo with a token, as cacheable JPEG', async () => {
    const res = await app.inject({ url: `/api/evidence/${SHA}`, headers: auth('officer') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers.etag).toBe(`"${SHA}"`);
    expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(res.rawPayload.equals(JPEG)).toBe(true);
    const again = await app.inject({ url: `/api/evidence/${SHA}`, headers: { ...auth('officer'), 'if-none-match': `"${SHA}"` } });
    expect(again.statusCode).toBe(304);
  });

  it('401 without a token, 400 for a malformed hash, 404 for unknown or missing files', async () => {
    expect((await app.inject({ url: `/api/evidence/${SHA}` })).statusCode).toBe(401);
    const bad = await app.inject({ url: '/api/evidence/not-a-hash', headers: auth('officer') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('sha256');
    expect((await app.inject({ url: `/api/evidence/${'e'.repeat(64)}`, headers: auth('officer') })).statusCode).toBe(404);
    // Known to the store but gone from disk.
    expect((await app.inject({ url: `/api/evidence/${MISSING}`, headers: auth('officer') })).statusCode).toBe(404);
  });

  it('serves a valid signed link without a token, cached no longer than the link lives', async () => {
    const url = signer.signMediaUrl(SHA, NOW);
    expect(url).toMatch(new RegExp(`^/media/${SHA}\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    now = NOW + 10 * 60_000;
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['cache-control']).toBe('private, max-age=3000, immutable');
    expect(res.rawPayload.equals(JPEG)).toBe(true);
    now = NOW;
  });

  it('403 on a tampered signature, hash or expiry', async () => {
    const url = new URL(signer.signMediaUrl(SHA, NOW), 'http://x');
    const exp = url.searchParams.get('exp')!;
    const sig = url.searchParams.get('sig')!;
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
    for (const bad of [
      `/media/${SHA}?exp=${exp}&sig=${flipped}`,
      `/media/${SHA}?exp=${Number(exp) + 3600}&sig=${sig}`,
      `/media/${MISSING}?exp=${exp}&sig=${sig}`,
      `/media/${SHA}?exp=${exp}`,
      `/media/${SHA}`,
    ]) {
      const res = await app.inject({ url: bad });
      expect(res.statusCode, bad).toBe(403);
      expect(res.json(), bad).toEqual({ error: 'this media link is not validly signed', code: 'BAD_SIGNATURE' });
    }
    // A signature from another secret is no signature.
    const other = createMediaSigner({ linkSecret: 'another-secret-xyz', linkTtlMinutes: 60 }).signMediaUrl(SHA, NOW);
    expect((await app.inject({ url: other })).statusCode).toBe(403);
  });

  it('403 once the link has expired', async () => {
    const url = signer.signMediaUrl(SHA, NOW);
    now = NOW + 61 * 60_000;
    const res = await app.inject({ url });
    now = NOW;
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'this media link has expired', code: 'LINK_EXPIRED' });
  });

  it('signs absolute links from publicUrl', () => {
    const s = createMediaSigner({ linkSecret: 'test-link-secret-123', linkTtlMinutes: 1, publicUrl: 'https://sw.example.org/centre/' });
    expect(s.signMediaUrl(SHA, NOW)).toBe(`https://sw.example.org/centre/media/${SHA}?exp=${NOW / 1000 + 60}&sig=${createHmac('sha256', 'test-link-secret-123').update(`${SHA}:${NOW / 1000 + 60}`).digest('hex')}`);
  });
});

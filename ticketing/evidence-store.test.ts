import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.js';
import { EvidenceNotFoundError, EvidenceStore, InvalidShaError, sha256Hex } from './evidence-store.js';
import { fakeJpeg } from '../center/ingest/test-fixtures.js';

describe('EvidenceStore', () => {
  const dirs: string[] = [];
  const store = () => {
    const dir = tempDir('sw-evidence-');
    dirs.push(dir);
    return { dir, store: new EvidenceStore(dir) };
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('stores bytes under evidence/<aa>/<sha256>.jpg and reads them back', async () => {
    const { dir, store: s } = store();
    const jpeg = fakeJpeg(10_000);
    const sha = await s.put(jpeg);
    expect(sha).toBe(sha256Hex(jpeg));
    expect(s.path(sha)).toBe(join(dir, 'evidence', sha.slice(0, 2), `${sha}.jpg`));
    expect(existsSync(s.path(sha))).toBe(true);
    expect(await s.has(sha)).toBe(true);
    expect((await s.read(sha)).equals(jpeg)).toBe(true);
    expect(s.verify(jpeg, sha)).toBe(true);
    expect(s.verify(fakeJpeg(100), sha)).toBe(false);
  });

  it('is idempotent, also for concurrent puts of the same bytes; leaves no temp files', async () => {
    const { store: s } = store();
    const jpeg = fakeJpeg(50_000);
    const shas = await Promise.all(Array.from({ length: 8 }, () => s.put(jpeg)));
    expect(new Set(shas).size).toBe(1);
    expect(await s.put(jpeg)).toBe(shas[0]);
    const files = readdirSync(join(s.root, shas[0].slice(0, 2)));
    expect(files).toEqual([`${shas[0]}.jpg`]);
  });

  it('knows what it does not hold, and refuses anything but a sha256 as a name', async () => {
    const { store: s } = store();
    const missing = sha256Hex(Buffer.from('never stored'));
    expect(await s.has(missing)).toBe(false);
    await expect(s.read(missing)).rejects.toBeInstanceOf(EvidenceNotFoundError);
    expect(() => s.path('../../etc/passwd')).toThrow(InvalidShaError);
    expect(() => s.path(missing.toUpperCase())).toThrow(InvalidShaError);
  });
});

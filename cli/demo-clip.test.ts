import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, VTEST } from '../test/fixtures.js';
import { demoClip, DEMO_CLIP } from './demo-clip.js';

describe('demo clip', () => {
  const clip = readFileSync(VTEST);
  let server: Server;
  let base: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/vtest.avi') res.writeHead(200, { 'content-length': clip.length }).end(clip);
      else if (req.url === '/other.avi') res.writeHead(200).end(clip.subarray(0, 1000));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('is the shared fixture when there is one (the same file OpenCV publishes)', async () => {
    expect(clip.length).toBe(DEMO_CLIP.size);
    expect(await demoClip(undefined, undefined, { url: `${base}/nowhere` })).toBe(VTEST);
  });

  it('is downloaded, checked by sha256, into the cache on a machine without ../shared, and found there next time', async () => {
    const cacheDir = tempDir();
    let progress = 0;
    const where = { sharedDir: tempDir(), cacheDir, url: `${base}/vtest.avi` };
    const path = await demoClip(undefined, (received) => (progress = received), where);
    expect(path).toBe(join(cacheDir, 'fixtures', 'vtest.avi'));
    expect(readFileSync(path).equals(clip)).toBe(true);
    expect(progress).toBe(clip.length);
    const before = hits;
    expect(await demoClip(undefined, undefined, where)).toBe(path);
    expect(hits).toBe(before);
  });

  it('refuses a download that is not the clip, naming both hashes, and keeps nothing', async () => {
    const cacheDir = tempDir();
    await expect(demoClip(undefined, undefined, { sharedDir: tempDir(), cacheDir, url: `${base}/other.avi` })).rejects.toThrow(new RegExp(`sha256 [0-9a-f]{64} \\(1000 bytes\\), expected ${DEMO_CLIP.sha256}`));
    expect(() => readFileSync(join(cacheDir, 'fixtures', 'vtest.avi'))).toThrow();
  });

  it('takes --video as given, and says so when it is missing', async () => {
    const file = join(tempDir(), 'mine.avi');
    writeFileSync(file, 'x');
    expect(await demoClip(file)).toBe(file);
    await expect(demoClip(join(tempDir(), 'missing.avi'))).rejects.toThrow(/--video .*missing\.avi: no such file/);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sharedDir } from '../common/paths.js';
import { tempDir, YOLOX_NANO } from '../test/fixtures.js';
import { fetchModel } from './fetch.js';

const model = readFileSync(YOLOX_NANO);
const modelSha = createHash('sha256').update(model).digest('hex');
const truncated = model.subarray(0, 1_000_000);
const truncatedSha = createHash('sha256').update(truncated).digest('hex');
const wrong = randomBytes(50_000);
const wrongSha = createHash('sha256').update(wrong).digest('hex');

let server: Server;
let base: string;
let requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const send = (body: Buffer) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    };
    switch (req.url) {
      case '/yolox_nano.onnx':
        return send(model);
      case '/truncated.onnx':
        return send(truncated);
      case '/wrong.onnx':
        return send(wrong);
      case '/huge.onnx':
        return send(Buffer.concat([model, model]));
      case '/cut.onnx':
        // Announces the full size, then drops the connection half-way.
        res.writeHead(200, { 'content-length': model.length });
        res.write(truncated, () => res.destroy());
        return;
      default:
        res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));
beforeEach(() => {
  requests = [];
});

/** Files left in <cache>/models (catches leaked .part files). */
const cacheFiles = (cache: string) => (existsSync(join(cache, 'models')) ? readdirSync(join(cache, 'models')) : []);

describe('fetchModel', () => {
  it('downloads into the cache, streaming progress, and verifies the sha256', async () => {
    const cache = tempDir();
    const progress: [number, number | undefined][] = [];
    const path = await fetchModel('yolox_nano', {
      cacheDir: cache,
      sharedDir: false,
      url: `${base}/yolox_nano.onnx`,
      onProgress: (r, t) => progress.push([r, t]),
    });
    expect(path).toBe(join(cache, 'models', 'yolox_nano.onnx'));
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(modelSha);
    expect(requests).toEqual(['/yolox_nano.onnx']);
    expect(progress.at(-1)).toEqual([model.length, model.length]);
    expect(cacheFiles(cache)).toEqual(['yolox_nano.onnx']);

    // Second call: the valid cached copy is returned, nothing is downloaded.
    expect(await fetchModel('yolox_nano', { cacheDir: cache, sharedDir: false, url: `${base}/yolox_nano.onnx` })).toBe(path);
    expect(requests).toHaveLength(1);
  });

  it('returns a valid copy in ../shared without downloading', async () => {
    const path = await fetchModel('yolox_nano', { cacheDir: tempDir(), url: `${base}/yolox_nano.onnx` });
    expect(path).toBe(join(sharedDir, 'models', 'yolox_nano.onnx'));
    expect(requests).toEqual([]);
  });

  it('downloads anyway with force', async () => {
    const cache = tempDir();
    const path = await fetchModel('yolox_nano', { cacheDir: cache, url: `${base}/yolox_nano.onnx`, force: true });
    expect(path).toBe(join(cache, 'models', 'yolox_nano.onnx'));
    expect(requests).toEqual(['/yolox_nano.onnx']);
  });

  it('replaces a corrupt cached copy', async () => {
    const cache = tempDir();
    mkdirSync(join(cache, 'models'));
    writeFileSync(join(cache, 'models', 'yolox_nano.onnx'), 'garbage');
    const path = await fetchModel('yolox_nano', { cacheDir: cache, sharedDir: false, url: `${base}/yolox_nano.onnx` });
    expect(readFileSync(path).equals(model)).toBe(true);
  });

  it.each([
    ['truncated', '/truncated.onnx', truncatedSha, truncated.length],
    ['wrong', '/wrong.onnx', wrongSha, wrong.length],
  ])('refuses a %s file naming expected and actual sha256 and size, leaving nothing behind', async (_, route, sha, size) => {
    const cache = tempDir();
    const err = await fetchModel('yolox_nano', { cacheDir: cache, sharedDir: false, url: base + route }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_CHECKSUM' });
    const msg = (err as Error).message;
    expect(msg).toContain(`downloaded from ${base}${route}`);
    expect(msg).toContain(`sha256 ${sha} (${size} bytes)`);
    expect(msg).toContain(`expected c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d (3659407 bytes) or ${modelSha} (3660092 bytes)`);
    expect(cacheFiles(cache)).toEqual([]);
  });

  it('stops a download larger than any accepted file', async () => {
    const cache = tempDir();
    await expect(fetchModel('yolox_nano', { cacheDir: cache, sharedDir: false, url: `${base}/huge.onnx` })).rejects.toMatchObject({
      code: 'MODEL_CHECKSUM',
      message: expect.stringContaining('more than 3660092 bytes'),
    });
    expect(cacheFiles(cache)).toEqual([]);
  });

  it('reports a connection dropped mid-download and leaves nothing behind', async () => {
    const cache = tempDir();
    await expect(fetchModel('yolox_nano', { cacheDir: cache, sharedDir: false, url: `${base}/cut.onnx` })).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD',
      message: expect.stringMatching(/failed after \d+ of 3660092 bytes/),
    });
    expect(cacheFiles(cache)).toEqual([]);
  });

  it('reports an HTTP error', async () => {
    await expect(fetchModel('yolox_nano', { cacheDir: tempDir(), sharedDir: false, url: `${base}/nope` })).rejects.toMatchObject({
      code: 'MODEL_DOWNLOAD',
      message: expect.stringContaining('HTTP 404'),
    });
  });

  it('rejects an unknown model before any request', async () => {
    await expect(fetchModel('nope', { cacheDir: tempDir(), url: `${base}/yolox_nano.onnx` })).rejects.toMatchObject({ code: 'MODEL_UNKNOWN' });
    expect(requests).toEqual([]);
  });
});

import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDir } from '../common/paths.js';
import { tempDir, YOLOX_NANO } from '../test/fixtures.js';
import { resolveModel } from './resolve.js';

const KAZUHITO_SHA = '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14';

/** A temp cache root whose models/yolox_nano.onnx is a copy of `from` or holds `content`. */
function cacheWith(src: { from: string } | { content: string }): string {
  const cache = tempDir();
  mkdirSync(join(cache, 'models'));
  const dest = join(cache, 'models', 'yolox_nano.onnx');
  if ('from' in src) copyFileSync(src.from, dest);
  else writeFileSync(dest, src.content);
  return cache;
}

describe('resolveModel', () => {
  it('finds a model present in ../shared when the cache is empty', async () => {
    const r = await resolveModel({ name: 'yolox_nano' }, { cacheDir: tempDir() });
    expect(r).toMatchObject({ path: join(sharedDir, 'models', 'yolox_nano.onnx'), source: 'shared' });
    expect(r.manifest.name).toBe('yolox_nano');
  });

  it('finds the HyperLPR3 models in their ../shared sub-folder', async () => {
    const r = await resolveModel({ name: 'y5fu_320x_sim' }, { cacheDir: tempDir() });
    expect(r.path).toBe(join(sharedDir, 'models', 'hyperlpr3', 'y5fu_320x_sim.onnx'));
  });

  it('prefers a valid copy in the cache', async () => {
    const cache = cacheWith({ from: YOLOX_NANO });
    const r = await resolveModel({ name: 'yolox_nano' }, { cacheDir: cache });
    expect(r).toMatchObject({ path: join(cache, 'models', 'yolox_nano.onnx'), source: 'cache' });
  });

  it('skips a corrupt cached copy for a valid one in ../shared', async () => {
    const cache = cacheWith({ content: 'not a model' });
    const r = await resolveModel({ name: 'yolox_nano' }, { cacheDir: cache });
    expect(r.source).toBe('shared');
  });

  it('refuses a corrupt copy naming the file, its sha256 and the accepted ones', async () => {
    const cache = cacheWith({ content: 'not a model' });
    const err = await resolveModel({ name: 'yolox_nano' }, { cacheDir: cache, sharedDir: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_CHECKSUM' });
    const msg = (err as Error).message;
    expect(msg).toContain(join(cache, 'models', 'yolox_nano.onnx'));
    // sha256 of the 11 bytes "not a model"
    expect(msg).toMatch(/sha256 [0-9a-f]{64} \(11 bytes\)/);
    expect(msg).toContain(`${KAZUHITO_SHA} (3660092 bytes)`);
    expect(msg).toContain('c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d (3659407 bytes)');
  });

  it('tells the user to fetch a model that is nowhere', async () => {
    await expect(resolveModel({ name: 'yolox_nano' }, { cacheDir: tempDir(), sharedDir: false })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringContaining('run `streetwatch models fetch yolox_nano`'),
    });
  });

  it('rejects an unknown model name', async () => {
    await expect(resolveModel({ name: 'yolov9000' })).rejects.toMatchObject({ code: 'MODEL_UNKNOWN' });
  });

  it('uses an explicit path as-is and recognises the model by its sha256', async () => {
    const dir = tempDir();
    const path = join(dir, 'my-detector.onnx');
    copyFileSync(YOLOX_NANO, path);
    const r = await resolveModel({ path });
    expect(r).toMatchObject({ path, source: 'path' });
    expect(r.manifest.name).toBe('yolox_nano');
  });

  it('uses an explicit path with a named manifest without checking its hash (a re-export)', async () => {
    const path = join(tempDir(), 'custom.onnx');
    writeFileSync(path, 'custom weights');
    const r = await resolveModel({ path, name: 'yolox_nano' });
    expect(r).toMatchObject({ path, source: 'path' });
    expect(r.manifest.output.format).toBe('yolox');
  });

  it('asks which manifest to name for an unrecognised explicit path', async () => {
    const path = join(tempDir(), 'custom.onnx');
    writeFileSync(path, 'custom weights');
    await expect(resolveModel({ path })).rejects.toMatchObject({
      code: 'MODEL_UNIDENTIFIED',
      message: expect.stringMatching(/matches no manifest.*one of: litemodel_cls_96x_r1, y5fu_320x_sim, y5fu_640x_sim, yolox_nano/),
    });
  });

  it('reports an explicit path that does not exist', async () => {
    await expect(resolveModel({ path: '/nonexistent/model.onnx' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

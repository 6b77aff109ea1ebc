/**
 * `edge doctor` reports each broken part of a box as its own failing check, against real things: a
 * missing video file and a refused RTSP port (ffprobe), a truncated and a missing model
 * (onnxruntime), a wrong password and a closed port (the centre's embedded broker), a centre whose
 * clock is a minute ahead (a real HTTP server), a spool whose budget outgrows the disk and one that
 * cannot be created, a video slower than the configured fps. The healthy run, where every check passes, is in provisioning.e2e.test.ts.
 */
import { copyFileSync, openSync, closeSync, ftruncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { DeviceRegistry, type DeviceCredentials } from '../broker/device-registry.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded-broker.js';
import { captureLogger, dropPrefix, REDIS_URL, testPrefix } from '../broker/test-support.js';
import { runDoctor, type CheckResult } from '../edge/doctor.js';
import { makeClip, tempDir, YOLOX_NANO } from './fixtures.js';
import { freePort } from './helpers/processes.js';

const byCheck = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r]));

describe('edge doctor reports every broken part', () => {
  const prefix = testPrefix();
  const dir = tempDir('sw-doctor-');
  const redis = new Redis(REDIS_URL);
  const truncated = join(dir, 'truncated.onnx');
  // A centre whose clock runs a minute ahead under /ahead/, and on time under /.
  const center = createServer((req, res) => {
    const skewMs = req.url === '/ahead/healthz' ? 60_000 : 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, checks: {}, time: new Date(Date.now() + skewMs).toISOString() }));
  });
  let broker: EmbeddedBroker;
  let creds: DeviceCredentials;
  let closedPort: number;
  let centerUrl: string;

  const writeConfig = (name: string, cfg: Record<string, unknown>): string => {
    const file = join(dir, name);
    writeFileSync(file, YAML.stringify({ device: { id: 'pole-doc' }, ...cfg }));
    return file;
  };

  beforeAll(async () => {
    creds = await new DeviceRegistry(redis, prefix).add('pole-doc');
    broker = await startEmbeddedBroker({
      config: { port: 0, host: '127.0.0.1', username: 'streetwatch-center', maxMessageBytes: 4 << 20, rootTopic: 'streetwatch/v1' },
      registry: new DeviceRegistry(redis, prefix),
      redis: { url: REDIS_URL, prefix },
      logger: captureLogger().logger,
      revocationCheckMs: 0,
    });
    await new Promise<void>((r) => center.listen(0, '127.0.0.1', r));
    centerUrl = `http://127.0.0.1:${(center.address() as { port: number }).port}`;
    closedPort = await freePort();
    // The real model, cut short as by an interrupted copy.
    copyFileSync(YOLOX_NANO, truncated);
    const fd = openSync(truncated, 'r+');
    ftruncateSync(fd, 1 << 20);
    closeSync(fd);
  });

  afterAll(async () => {
    await broker?.close();
    center.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('missing video, refused RTSP, corrupted model, wrong password, clock a minute off, budget beyond the disk', async () => {
    const file = writeConfig('broken-a.yaml', {
      center: { url: `${centerUrl}/ahead/` },
      mqtt: { url: broker.url, username: creds.username, password: 'not-the-password' },
      model: { path: truncated },
      spool: { dir: 'spool', maxMegabytes: 1e9 },
      cameras: [{ id: 'gone', source: 'nowhere.avi' }, { id: 'rtsp', source: `rtsp://127.0.0.1:${closedPort}/stream` }],
    });
    const results = await runDoctor(file, { seconds: 1 });
    expect(results.map((r) => r.check)).toEqual(['config', 'camera gone', 'camera rtsp', 'model', 'plates', 'broker', 'clock', 'spool']);
    const r = byCheck(results);
    expect(r.config.status).toBe('pass');
    expect(r['camera gone']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/nowhere\.avi.*No such file/) });
    expect(r['camera rtsp']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/Connection refused/i) });
    expect(r.model).toMatchObject({ status: 'fail', detail: expect.stringContaining(`model file ${truncated} (sha256`) });
    expect(r.plates).toMatchObject({ status: 'pass', detail: expect.stringContaining('a synthetic frame') });
    expect(r.broker).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^login refused: bad username or password/) });
    expect(r.clock).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^box clock (59\.9|60\.\d) s behind the centre/) });
    expect(r.spool).toMatchObject({ status: 'fail', detail: expect.stringContaining('the disk fills before the budget') });
  });

  it('missing model and plate model, broker port closed, spool that cannot be created, no centre to ask the time, a stream slower than fps', async () => {
    const notADir = join(dir, 'a-file');
    writeFileSync(notADir, 'x');
    const slow = makeClip(join(dir, 'two-fps.avi'), { seconds: 4, fps: 2 });
    const file = writeConfig('broken-b.yaml', {
      mqtt: { url: `mqtt://127.0.0.1:${closedPort}`, username: creds.username, password: creds.password },
      model: { path: 'nowhere.onnx' },
      plates: { model: { path: 'nowhere-plates.onnx' } },
      spool: { dir: join(notADir, 'spool') },
      cameras: [{ id: 'slow', source: slow, fps: 10 }],
    });
    const r = byCheck(await runDoctor(file, { seconds: 1 }));
    expect(r['camera slow']).toMatchObject({ status: 'warn', detail: expect.stringMatching(/stream 2\.0 fps: the stream is slower than fps, so frames are repeated/) });
    expect(r.model).toMatchObject({ status: 'fail', detail: `model file ${join(dir, 'nowhere.onnx')} does not exist` });
    expect(r.plates).toMatchObject({ status: 'fail', detail: `model file ${join(dir, 'nowhere-plates.onnx')} does not exist` });
    expect(r.broker).toMatchObject({ status: 'fail', detail: `unreachable: 127.0.0.1:${closedPort}: ECONNREFUSED` });
    expect(r.clock).toMatchObject({ status: 'warn', detail: expect.stringContaining('not checked: the config has no center.url') });
    expect(r.spool).toMatchObject({ status: 'fail', detail: `${join(notADir, 'spool')} is not writable: ENOTDIR` });
  });

  it('a corrupted model trusted by name fails to load; the right password over the same broker passes', async () => {
    const file = writeConfig('named.yaml', {
      center: { url: centerUrl },
      mqtt: { url: broker.url, username: creds.username, password: creds.password },
      model: { path: truncated, name: 'yolox_nano' },
      cameras: [{ id: 'gone', source: 'nowhere.avi' }],
    });
    const r = byCheck(await runDoctor(file, { seconds: 1 }));
    expect(r.model).toMatchObject({ status: 'fail', detail: expect.stringContaining(`${truncated}: `) });
    expect(r.broker).toMatchObject({ status: 'pass', detail: `${broker.url}: connected as pole-doc` });
    expect(r.clock.status).toBe('pass');
  });

  it('an invalid config is the one failing line', async () => {
    const file = writeConfig('invalid.yaml', { mqtt: { url: 'http://broker' }, cameras: [] });
    const results = await runDoctor(file, { seconds: 1 });
    expect(results).toEqual([{ check: 'config', status: 'fail', detail: expect.stringMatching(/mqtt\.url: must be an mqtt:\/\/.*\n.*cameras: at least one camera/s) }]);
  });
});

/**
 * Model update over the air, end to end in one process: `streetwatch center` (embedded broker with
 * device login and ACL, ingest, API) and an edge agent logged in with its device credentials,
 * playing the clip in real time. An admin uploads a re-exported yolox_nano and announces it; the
 * box fetches it through the signed link, self-tests it, switches while its camera keeps running,
 * and the centre's device list shows the new model.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../broker/device-registry.js';
import { freePort } from '../cli/ports.js';
import type { ModelReportedMessage } from '../contract/index.js';
import { runAgent, type RunningAgent } from '../edge/agent.js';
import { edgeConfigSchema } from '../edge/config.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { centerConfigSchema } from '../center/config.js';
import { makeClip, tempDir, YOLOX_NANO } from './fixtures.js';
import { fakeYoloxOnnx, withDocString } from './helpers/onnx-models.js';
import { deleteKeys } from './helpers/redis-keys.js';
import { waitFor } from './helpers/wait.js';

const ADMIN = 'e2e-admin-token-0123456789';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const V2 = withDocString(readFileSync(YOLOX_NANO), 'yolox_nano re-exported for the OTA e2e test');
const BLIND = fakeYoloxOnnx({ dark: { fill: 0 } });

describe('model update: centre → broker → box → centre', () => {
  const prefix = `{swota-${randomBytes(4).toString('hex')}}`;
  const dir = tempDir('sw-ota-e2e-');
  const redis = new Redis();
  const errors: string[] = [];
  let center: RunningCenter | undefined;
  let agent: RunningAgent | undefined;

  afterAll(async () => {
    await agent?.stop();
    await center?.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('announced through the API, applied by the box without stopping its camera, shown in the device list', async () => {
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const api = `http://127.0.0.1:${httpPort}`;
    center = await startCenter({
      config: centerConfigSchema.parse({
        redisPrefix: prefix, dataDir: join(dir, 'data'),
        mqtt: { port: mqttPort, host: '127.0.0.1' },
        http: { port: httpPort, host: '127.0.0.1', publicUrl: api, linkSecret: 'e2e-link-secret-123' },
        users: [{ name: 'ada', role: 'admin', token: ADMIN }],
        teams: [{ id: 'north' }], defaultTeam: 'north',
      }),
      instanceId: 'ota-e2e',
      logger: pino({ level: 'silent' }),
    });
    const creds = await new DeviceRegistry(redis, prefix).add('pole-ota');
    agent = await runAgent(edgeConfigSchema.parse({
      device: { id: 'pole-ota' },
      mqtt: { url: center.mqttUrl, username: creds.username, password: creds.password },
      model: { path: YOLOX_NANO, name: 'yolox_nano' },
      detector: { workers: 1, threads: 1 },
      spool: { dir: join(dir, 'spool') },
      cameras: [{ id: 'cam-1', source: makeClip(join(dir, 'clip.avi'), { seconds: 10 }), fps: 5, loop: true, zones: [] }],
    }), { plateReader: null, logger: pino({ level: 'error' }, { write: (line: string) => void errors.push(line) }) });
    const pipeline = agent.pipelines.get('cam-1')!;

    const call = async (method: string, path: string, body?: Buffer | object) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' },
        body: Buffer.isBuffer(body) ? new Uint8Array(body) : body && JSON.stringify(body),
      });
      expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
      return res.json();
    };
    const reported = async (): Promise<ModelReportedMessage | null> =>
      ((await call('GET', '/api/devices')) as { items: { deviceId: string; model?: ModelReportedMessage | null }[] }).items.find((d) => d.deviceId === 'pole-ota')?.model ?? null;
    const settled = (version: number) => async () => {
      const r = await reported();
      return r?.version === version && r.status !== 'downloading' ? r : null;
    };

    // At start the box reports the model of its config.
    expect(await waitFor(settled(0), 'the start-up report')).toMatchObject({
      status: 'applied', model: { name: 'yolox_nano', sha256: sha256(readFileSync(YOLOX_NANO)) },
    });
    await waitFor(() => pipeline.stats.inferences > 10, 'the camera running');

    // A model that finds nothing on this camera is refused, and the box keeps its model.
    await call('PUT', `/api/models/${sha256(BLIND)}`, BLIND);
    await call('POST', '/api/devices/pole-ota/model', { name: 'yolox_nano', version: 'blind', sha256: sha256(BLIND) });
    const refused = await waitFor(settled(1), 'the blind model refused');
    expect(refused).toMatchObject({ status: 'rejected', model: { sha256: sha256(readFileSync(YOLOX_NANO)) }, error: expect.stringMatching(/^self-test: the new model found 0 of the \d+ objects/) });

    await call('PUT', `/api/models/${sha256(V2)}`, V2);
    const desired = await call('POST', '/api/devices/pole-ota/model', { name: 'yolox_nano', version: '2026.11-kerb', sha256: sha256(V2) });
    expect(desired).toMatchObject({ version: 2, model: { url: expect.stringContaining(`${api}/models/${sha256(V2)}.onnx?exp=`) } });
    const applied = await waitFor(settled(2), 'the new model applied');
    expect(applied).toMatchObject({ status: 'applied' });
    expect(applied.model).toEqual({ name: 'yolox_nano', version: '2026.11-kerb', sha256: sha256(V2) });

    // The camera never stopped: frames keep coming after the switch, and none failed.
    const framesAtSwitch = pipeline.stats.frames;
    await waitFor(() => pipeline.stats.frames > framesAtSwitch + 25, 'frames after the switch', 20_000);
    expect(errors.filter((l) => /frame failed|model/.test(l))).toEqual([]);
  }, 90_000);
});

/**
 * Over-the-air model updates on the box, with real models (yolox_nano, the plate detector, and
 * hand-built ONNX files that load but misbehave), real onnxruntime sessions in worker threads, a
 * real HTTP server serving the files and a real camera pipeline fed frames of vtest.avi while the
 * update happens. The MQTT path (centre → broker → agent) is in test/model-ota.e2e.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../../common/paths.js';
import { modelReportedMessage, type ModelReportedMessage } from '../../contract/index.js';
import type { RgbFrame } from '../../detector/types.js';
import { frameAt, tempDir, YOLOX_NANO } from '../../test/fixtures.js';
import { fakeYoloxOnnx, withDocString } from '../../test/helpers/onnx-models.js';
import { waitFor } from '../../test/helpers/wait.js';
import { CameraPipeline } from '../camera-pipeline.js';
import { edgeConfigSchema, type EdgeConfig } from '../config.js';
import { otaDir, readModelState } from './model-state.js';
import { loadActiveModels, MAX_PROBATION_STARTS, ModelUpdater, type ActiveModels } from './model-updater.js';
import { EdgePublisher } from '../adapters/outbox.js';

const silent = pino({ level: 'silent' });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ISSUED = '2026-11-26T08:00:00.000Z';
const PROBATION = 5;

const BASE = readFileSync(YOLOX_NANO);
const V2 = withDocString(BASE, 'yolox_nano re-exported for the OTA tests');
const CORRUPT = Buffer.from(V2);
CORRUPT[CORRUPT.length >> 1] ^= 0xff;
const VTEST_OBJECT_ROW = [0, 0, Number.NaN, Number.NaN, 1, 1, ...new Array<number>(79).fill(0)];
const FILES: Record<string, Buffer> = {
  '/v2.onnx': V2,
  '/corrupt.onnx': CORRUPT,
  '/truncated.onnx': V2.subarray(0, V2.length >> 1),
  // Loads and runs, finds nothing: misses the vehicles and people yolox_nano sees.
  '/blind.onnx': fakeYoloxOnnx({ dark: { fill: 0 } }),
  // One "person" with a NaN box on every frame.
  '/nan-box.onnx': fakeYoloxOnnx({ dark: { rows: { 7: VTEST_OBJECT_ROW } } }),
  // Fine on a dark frame (finds nothing, like yolox_nano); on a lit one its output has the wrong shape.
  '/dark-only.onnx': fakeYoloxOnnx({ dark: { fill: 0 }, bright: { anchors: 100 } }),
  // A real model with another head: the 320 px plate detector.
  '/plates.onnx': readFileSync(join(sharedDir, 'models', 'hyperlpr3', 'y5fu_320x_sim.onnx')),
};

let server: Server;
let base: string;
const requests: string[] = [];
let frames: RgbFrame[];
const black: RgbFrame = { width: 768, height: 576, data: Buffer.alloc(768 * 576 * 3) };

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    requests.push(path);
    const body = FILES[path];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // Ten moments of the clip: the van and the car parked top right, people walking.
  frames = [10, 10.4, 10.8, 11.2, 11.6, 12, 12.4, 12.8, 13.2, 13.6].map((s) => frameAt(s));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function edgeConfig(dir: string): EdgeConfig {
  return edgeConfigSchema.parse({
    device: { id: 'pole-ota' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    model: { path: YOLOX_NANO, name: 'yolox_nano' },
    detector: { workers: 1, threads: 1 },
    spool: { dir: join(dir, 'spool') },
    cameras: [{ id: 'cam-1', source: join(dir, 'none.avi'), fps: 5, zones: [] }],
  });
}

interface Box {
  models: ActiveModels;
  updater: ModelUpdater;
  reports: ModelReportedMessage[];
  pipeline: CameraPipeline;
  /** Pushes copies of `list` (cycling) until `until()` holds; the number pushed. Throws on a failed frame. */
  feed(list: RgbFrame[], until: () => boolean): Promise<number>;
  close(): Promise<void>;
}

async function startBox(dir: string): Promise<Box> {
  const cfg = edgeConfig(dir);
  const models = await loadActiveModels(cfg, { logger: silent, swappable: { probationInferences: PROBATION, referenceEveryMs: 3_600_000 } });
  const reports: ModelReportedMessage[] = [];
  const updater = new ModelUpdater(cfg, models, { deviceId: 'pole-ota', report: (m) => reports.push(modelReportedMessage.parse(m)), logger: silent });
  const pipeline = new CameraPipeline({ config: cfg, camera: cfg.cameras[0], detector: models.detector, publisher: new EdgePublisher({ send: () => undefined }, 'sw', 'pole-ota') });
  let ts = Date.parse(ISSUED);
  return {
    models, updater, reports, pipeline,
    async feed(list, until) {
      let n = 0;
      do {
        const f = list[n % list.length];
        await pipeline.push({ width: f.width, height: f.height, data: Buffer.from(f.data) }, (ts += 200));
        n++;
      } while (!until());
      await pipeline.flush();
      return n;
    },
    async close() {
      await updater.close();
      await models.detector.close();
    },
  };
}

const announce = (version: number, path: string, model: { sha256?: string; size?: number; name?: string; query?: string } = {}) => {
  const bytes = FILES[path] ?? Buffer.alloc(1);
  return Buffer.from(JSON.stringify({
    v: 1, version, issuedAt: ISSUED,
    model: { name: model.name ?? 'yolox_nano', version: `r${version}`, sha256: model.sha256 ?? sha256(bytes), size: model.size ?? bytes.length, url: `${base}${path}${model.query ?? ''}` },
  }));
};
const last = (box: Box) => box.reports.at(-1)!;
const settled = (box: Box, version: number) => () => box.reports.find((r) => r.version === version && r.status !== 'downloading');
const otaFiles = (dir: string) => (existsSync(join(otaDir(join(dir, 'spool')), 'models')) ? readdirSync(join(otaDir(join(dir, 'spool')), 'models')) : []);

describe('model updates on the box', () => {
  it('downloads, self-tests and switches to a good model while frames keep flowing; a restart keeps it', async () => {
    const dir = tempDir('sw-ota-');
    const box = await startBox(dir);
    const original = box.models.detector.active;
    expect(box.reports).toEqual([expect.objectContaining({ version: 0, status: 'applied', model: { name: 'yolox_nano', version: '0.1.1rc0', sha256: sha256(BASE) } })]);

    let appliedAt: number | undefined;
    let pushed = 0;
    const feeding = box.feed(frames, () => {
      pushed++;
      if (pushed === 3) box.updater.handle(announce(1, '/v2.onnx'));
      if (appliedAt === undefined && last(box).status === 'applied' && last(box).version === 1) appliedAt = pushed;
      // Enough frames after the switch for the new model to finish its probation.
      return appliedAt !== undefined && pushed >= appliedAt + 3 * PROBATION && !box.models.detector.onProbation;
    });
    const n = await feeding;

    expect(box.reports.map((r) => [r.version, r.status])).toEqual([[0, 'applied'], [1, 'downloading'], [1, 'applied']]);
    expect(last(box).model).toEqual({ name: 'yolox_nano', version: 'r1', sha256: sha256(V2) });
    expect(box.models.detector.active).not.toBe(original);
    // Every frame pushed went through the pipeline, before, during and after the switch.
    expect(n).toBe(pushed);
    expect(box.pipeline.stats.frames).toBe(n);
    expect(box.pipeline.stats.inferences + box.pipeline.stats.skippedFrames).toBe(n);
    expect(appliedAt! + 3 * PROBATION).toBeLessThanOrEqual(n);
    expect(requests.filter((p) => p === '/v2.onnx')).toHaveLength(1);

    // Proven: the state names the new model, no fallback; its file is kept in the spool's ota folder.
    const state = await readModelState(otaDir(join(dir, 'spool')));
    expect(state).toMatchObject({ active: { sha256: sha256(V2), version: 'r1' }, handled: 1, last: { status: 'applied' } });
    expect(state?.fallback).toBeUndefined();
    expect(otaFiles(dir)).toEqual([`${sha256(V2)}.onnx`]);
    await box.close();

    // After a restart the box runs the new model and says so; the retained announcement seen
    // again is not acted on, and an announcement of the model it runs needs no download.
    const again = await startBox(dir);
    expect(again.reports).toEqual([expect.objectContaining({ version: 1, status: 'applied', model: { name: 'yolox_nano', version: 'r1', sha256: sha256(V2) } })]);
    again.updater.handle(announce(1, '/v2.onnx'));
    again.updater.handle(announce(2, '/v2.onnx'));
    await waitFor(settled(again, 2), 'version 2 settled');
    expect(again.reports.map((r) => [r.version, r.status])).toEqual([[1, 'applied'], [2, 'applied']]);
    expect(requests.filter((p) => p === '/v2.onnx')).toHaveLength(1);
    expect(await again.feed(frames.slice(0, 2), () => true)).toBe(1);
    await again.close();

    // The file changed on disk (a bad sector, a hand edit): the box starts on the config's model and says why.
    writeFileSync(join(otaDir(join(dir, 'spool')), 'models', `${sha256(V2)}.onnx`), CORRUPT);
    const third = await startBox(dir);
    expect(third.reports).toEqual([expect.objectContaining({
      version: 2, status: 'rolled_back', model: expect.objectContaining({ sha256: sha256(BASE) }),
      error: expect.stringMatching(/changed on disk: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/),
    })]);
    await third.close();
  });

  it('rejects a corrupted or truncated download, naming expected and actual sha256, and keeps the running model', async () => {
    const dir = tempDir('sw-ota-');
    const box = await startBox(dir);
    const original = box.models.detector.active;
    await box.feed(frames.slice(0, 2), () => true);

    // Served bytes differ from the announced file (one byte flipped); the signed query stays out of the report.
    box.updater.handle(announce(1, '/corrupt.onnx', { sha256: sha256(V2), size: V2.length, query: '?exp=1900000000&sig=0123abcd' }));
    await waitFor(settled(box, 1), 'version 1 settled');
    expect(last(box)).toMatchObject({ version: 1, status: 'rejected', model: { sha256: sha256(BASE) } });
    expect(last(box).error).toContain(`sha256 ${sha256(CORRUPT)} (${CORRUPT.length} bytes), expected ${sha256(V2)} (${V2.length} bytes)`);
    expect(last(box).error).toContain(`${base}/corrupt.onnx`);
    expect(last(box).error).not.toContain('sig=');

    box.updater.handle(announce(2, '/truncated.onnx', { sha256: sha256(V2), size: V2.length }));
    await waitFor(settled(box, 2), 'version 2 settled');
    const half = V2.subarray(0, V2.length >> 1);
    expect(last(box)).toMatchObject({ version: 2, status: 'rejected', error: expect.stringContaining(`sha256 ${sha256(half)} (${half.length} bytes), expected ${sha256(V2)}`) });

    // Nothing half-written is left, the old model still runs and still finds things.
    expect(otaFiles(dir)).toEqual([]);
    expect(box.models.detector.active).toBe(original);
    const before = box.pipeline.stats.frames;
    expect(await box.feed(frames, () => box.pipeline.stats.frames >= before + 4)).toBeGreaterThanOrEqual(4);
    expect((await box.models.detector.detect({ ...frames[0], data: Buffer.from(frames[0].data) })).some((o) => o.label === 'car')).toBe(true);
    await box.close();
  });

  it('rejects models that fail to load or fail their self-test, and keeps the running model', async () => {
    const dir = tempDir('sw-ota-');
    const box = await startBox(dir);
    const original = box.models.detector.active;
    await box.feed(frames.slice(0, 3), () => true); // the kept frame shows the parked vehicles and people

    // A hostile broker's announcement nested beyond the contract is refused before it is parsed.
    box.updater.handle(Buffer.from(`{"v":1,"version":1,"model":${'['.repeat(40_000)}${']'.repeat(40_000)}}`));
    expect(last(box)).toMatchObject({ version: 0, status: 'rejected', model: { sha256: sha256(BASE) }, error: expect.stringMatching(/^model\/desired refused: JSON nested deeper than 32 levels/) });

    const cases: [string, RegExp, { name?: string }?][] = [
      ['/blind.onnx', /self-test: the new model found 0 of the \d+ objects \(.*car.*\) the running model sees/],
      ['/nan-box.onnx', /self-test: object 0 has a non-finite box or score/],
      ['/plates.onnx', /does not match manifest yolox_nano: no input "images"/],
      ['/plates.onnx', /model y5fu_320x_sim has other classes than the running yolox_nano/, { name: 'y5fu_320x_sim' }],
      ['/plates.onnx', /unknown model "no_such_model"/, { name: 'no_such_model' }],
    ];
    for (const [i, [path, expected, over]] of cases.entries()) {
      const version = i + 1;
      box.updater.handle(announce(version, path, over));
      await waitFor(settled(box, version), `version ${version} settled`);
      expect(last(box), path).toMatchObject({ version, status: 'rejected', model: { sha256: sha256(BASE) }, error: expect.stringMatching(expected) });
    }
    // The plate detector was downloaded once: the name checks come before any download.
    expect(requests.filter((p) => p === '/plates.onnx')).toHaveLength(1);
    expect(box.models.detector.active).toBe(original);
    expect(box.models.detector.onProbation).toBe(false);
    expect(otaFiles(dir)).toEqual([]);
    expect(await readModelState(otaDir(join(dir, 'spool')))).toMatchObject({ handled: cases.length, active: { sha256: sha256(BASE) }, last: { status: 'rejected' } });
    const before = box.pipeline.stats.frames;
    await box.feed(frames, () => box.pipeline.stats.frames >= before + 3);
    await box.close();
  });

  it('rolls back a model that passed its self-test but fails on the camera, losing no frame', async () => {
    const dir = tempDir('sw-ota-');
    const box = await startBox(dir);
    const original = box.models.detector.active;
    // The only frame seen before the update is dark: the self-test cannot tell the models apart.
    await box.feed([black], () => true);
    box.updater.handle(announce(1, '/dark-only.onnx'));
    await waitFor(settled(box, 1), 'version 1 settled');
    expect(last(box)).toMatchObject({ version: 1, status: 'applied', model: { sha256: sha256(FILES['/dark-only.onnx']) } });
    expect(box.models.detector.onProbation).toBe(true);

    // The camera's real frames: the first one the new model sees fails, the box goes back and
    // runs that frame on the previous model.
    const n = await box.feed(frames, () => box.pipeline.stats.frames >= 1 + 8);
    expect(box.pipeline.stats.frames).toBe(1 + n);
    expect(box.pipeline.stats.inferences + box.pipeline.stats.skippedFrames).toBe(1 + n);
    await waitFor(() => last(box).status === 'rolled_back', 'rolled_back report');
    expect(last(box)).toMatchObject({
      version: 1, status: 'rolled_back', model: { sha256: sha256(BASE) },
      error: expect.stringMatching(/failed after the switch, back on yolox_nano 0\.1\.1rc0 .*output shape \[1, 100, 85\] is not \[1, 3549, 85\]/),
    });
    expect(box.models.detector.active).toBe(original);
    await waitFor(() => otaFiles(dir).length === 0, 'failed model deleted');
    await box.close();

    // A restart stays on the previous model, reports the rollback again and does not retry version 1.
    const again = await startBox(dir);
    expect(again.reports).toEqual([expect.objectContaining({ version: 1, status: 'rolled_back', model: expect.objectContaining({ sha256: sha256(BASE) }) })]);
    again.updater.handle(announce(1, '/dark-only.onnx'));
    await new Promise((r) => setTimeout(r, 200));
    expect(again.reports).toHaveLength(1);
    await again.close();
  });

  it(`gives up a model on probation after ${MAX_PROBATION_STARTS} starts that did not finish it (e.g. it crashes the process)`, async () => {
    const dir = tempDir('sw-ota-');
    const ota = otaDir(join(dir, 'spool'));
    const file = join(ota, 'models', `${sha256(V2)}.onnx`);
    const box = await startBox(dir);
    box.updater.handle(announce(1, '/v2.onnx'));
    await waitFor(settled(box, 1), 'version 1 settled');
    await box.close(); // stopped while still on probation (no frames since the switch)
    expect(await readModelState(ota)).toMatchObject({ active: { path: file }, fallback: { sha256: sha256(BASE) }, probationStarts: 0 });

    for (let start = 1; start <= MAX_PROBATION_STARTS; start++) {
      const b = await startBox(dir);
      expect(b.models.detector.onProbation).toBe(true);
      expect(await readModelState(ota)).toMatchObject({ probationStarts: start });
      await b.close();
    }
    const given = await startBox(dir);
    expect(given.models.detector.onProbation).toBe(false);
    expect(given.reports).toEqual([expect.objectContaining({ status: 'rolled_back', model: expect.objectContaining({ sha256: sha256(BASE) }), error: expect.stringMatching(/started 3 times without it finishing its probation/) })]);
    await given.close();
    // A state file that is unreadable starts the box on its config's model.
    writeFileSync(join(ota, 'state.json'), '{"active":');
    const fresh = await startBox(dir);
    expect(fresh.reports).toEqual([expect.objectContaining({ version: 0, status: 'applied', model: expect.objectContaining({ sha256: sha256(BASE) }) })]);
    await fresh.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModel } from '../models/resolve.js';
import { frameAt, VTEST_SIZE } from '../test/fixtures.js';
import { createOnnxDetector, type OnnxDetector } from './onnx-detector.js';
import { createWorkerDetector, type WorkerDetector } from './worker-detector.js';

describe('worker detector', () => {
  let inProcess: OnnxDetector;
  let workers: WorkerDetector;
  const frames = [2, 20, 40, 60].map((s) => frameAt(s));

  beforeAll(async () => {
    const { path, manifest } = await resolveModel({ name: 'yolox_nano' });
    const opts = { modelPath: path, manifest, threads: 1, nmsMergeClasses: [['car', 'truck', 'bus']] };
    inProcess = await createOnnxDetector(opts);
    workers = await createWorkerDetector({ ...opts, workers: 2 });
  });
  afterAll(async () => {
    await inProcess.close();
    await workers.close();
  });

  it('finds exactly what the in-process detector finds, with calls in parallel', async () => {
    const expected = await Promise.all(frames.map((f) => inProcess.detect(f)));
    const got = await Promise.all(frames.map((f) => workers.detect(f)));
    expect(got).toEqual(expected);
    // The parked van and car at the top right are in every one of these frames.
    for (const objects of got) {
      const vehicles = objects.filter((o) => ['car', 'truck'].includes(o.label) && o.box.x1 > 640 && o.box.y2 < 110);
      expect(vehicles).toHaveLength(2);
    }
  });

  it('detects in a region of the frame as the in-process detector does, boxes in frame pixels', async () => {
    const kerb = { x1: 600, y1: 0, x2: 768, y2: 140 }; // the two parked vehicles, top right
    const expected = await inProcess.detect(frames[1], kerb);
    const got = await workers.detect(frames[1], kerb);
    expect(got).toEqual(expected);
    const vehicles = got.filter((o) => ['car', 'truck'].includes(o.label));
    expect(vehicles).toHaveLength(2);
    for (const v of vehicles) expect(v.box.x1).toBeGreaterThan(640);
    expect(got.every((o) => o.box.x1 >= kerb.x1 && o.box.y2 <= kerb.y2)).toBe(true);
  });

  it('leaves the caller\'s frame intact (evidence is cut from it later)', async () => {
    const f = frameAt(5);
    const before = Buffer.from(f.data);
    await workers.detect(f);
    expect(f.data.length).toBe(VTEST_SIZE.width * VTEST_SIZE.height * 3);
    expect(f.data.equals(before)).toBe(true);
  });

  it('hands waiting frames to whichever worker frees first: many calls at once all finish, in any order', async () => {
    const many = Array.from({ length: 12 }, (_, i) => frames[i % frames.length]);
    const expected = await Promise.all(frames.map((f) => inProcess.detect(f)));
    const got = await Promise.all(many.map((f) => workers.detect({ ...f, data: Buffer.from(f.data) })));
    expect(got).toEqual(many.map((_, i) => expected[i % frames.length]));
  });

  it('rejects frames still waiting for a worker when closed', async () => {
    const { path, manifest } = await resolveModel({ name: 'yolox_nano' });
    const d = await createWorkerDetector({ modelPath: path, manifest, workers: 1 });
    const calls = frames.map((f) => d.detect({ ...f, data: Buffer.from(f.data) }).then(() => 'done', (e: Error) => e.message));
    await d.close();
    const outcomes = await Promise.all(calls);
    expect(outcomes[0]).toBe('done'); // already at the worker: finished before it exited
    expect(outcomes.slice(1)).toEqual(frames.slice(1).map(() => 'detector is closed'));
  });

  it('refuses work after close', async () => {
    const { path, manifest } = await resolveModel({ name: 'yolox_nano' });
    const d = await createWorkerDetector({ modelPath: path, manifest, workers: 1 });
    await d.close();
    await expect(d.detect(frames[0])).rejects.toThrow(/closed/);
  });

  it('fails to start with a clear error when the model does not match its manifest', async () => {
    const { manifest } = await resolveModel({ name: 'yolox_nano' });
    const plate = await resolveModel({ name: 'y5fu_320x_sim' });
    await expect(createWorkerDetector({ modelPath: plate.path, manifest, workers: 1 })).rejects.toThrow(/input|output/);
  });
});

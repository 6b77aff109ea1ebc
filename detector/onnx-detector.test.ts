import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../models/manifest.js';
import { frameAt, YOLOX_NANO } from '../test/fixtures.js';
import { createOnnxDetector, type OnnxDetector } from './onnx-detector.js';
import type { ObjectBox, PixelBox, RgbFrame } from './types.js';

// Observed on vtest.avi with yolox_nano (416, score 0.3): the white van parked at the top right
// (scored as truck, and as car in almost the same box) and the small car cut by the right edge.
const VAN: PixelBox = { x1: 651, y1: 42.5, x2: 723, y2: 99.5 };
const CAR: PixelBox = { x1: 732, y1: 51, x2: 767, y2: 94.3 };
const TOLERANCE = 6;
const SECONDS = [1, 10, 30, 50, 70];

const manifest = loadManifest('yolox_nano');
const frames = new Map<number, RgbFrame>(SECONDS.map((s) => [s, frameAt(s)]));
let detector: OnnxDetector;

beforeAll(async () => {
  detector = await createOnnxDetector({ modelPath: YOLOX_NANO, manifest, threads: 2, scoreThreshold: 0.3, nmsIou: 0.45 });
});
afterAll(() => detector.close());

const near = (b: PixelBox, want: PixelBox) =>
  Math.abs(b.x1 - want.x1) <= TOLERANCE &&
  Math.abs(b.y1 - want.y1) <= TOLERANCE &&
  Math.abs(b.x2 - want.x2) <= TOLERANCE &&
  Math.abs(b.y2 - want.y2) <= TOLERANCE;
const findNear = (objects: ObjectBox[], want: PixelBox, labels: string[]) =>
  objects.filter((o) => labels.includes(o.label) && near(o.box, want));
const round = (o: ObjectBox) => `${o.label} ${[o.box.x1, o.box.y1, o.box.x2, o.box.y2].map((v) => v.toFixed(1)).join(',')}`;

describe('createOnnxDetector (yolox_nano on vtest.avi)', () => {
  it.each(SECONDS)('finds the van, the small car and people at %ss', async (s) => {
    const objects = await detector.detect(frames.get(s)!);
    const summary = objects.map(round).join('; ');
    expect(findNear(objects, VAN, ['car', 'truck']).length, summary).toBeGreaterThanOrEqual(1);
    expect(findNear(objects, CAR, ['car']), summary).toHaveLength(1);
    expect(objects.filter((o) => o.label === 'person').length, summary).toBeGreaterThanOrEqual(4);
    for (const o of objects) {
      expect(o.score).toBeGreaterThanOrEqual(0.3);
      expect(o.label).toBe(manifest.classNames[o.classId]);
      expect(o.box.x1).toBeGreaterThanOrEqual(0);
      expect(o.box.y1).toBeGreaterThanOrEqual(0);
      expect(o.box.x2).toBeLessThanOrEqual(768);
      expect(o.box.y2).toBeLessThanOrEqual(576);
      expect(o.box.x2 - o.box.x1).toBeGreaterThan(1);
    }
  });

  it('finds the same people as observed at 10s', async () => {
    const people = (await detector.detect(frames.get(10)!)).filter((o) => o.label === 'person');
    for (const want of [
      { x1: 346, y1: 197.4, x2: 379.2, y2: 274.7 },
      { x1: 587.9, y1: 154, x2: 619.7, y2: 236.5 },
      { x1: 494.1, y1: 147.5, x2: 517.4, y2: 218.2 },
      { x1: 222.8, y1: 60.1, x2: 238.2, y2: 94.4 },
    ]) {
      expect(people.some((p) => near(p.box, want)), JSON.stringify(want)).toBe(true);
    }
  });

  it('queues concurrent calls: results equal one-at-a-time results', async () => {
    const sequential: ObjectBox[][] = [];
    for (const s of SECONDS) sequential.push(await detector.detect(frames.get(s)!));
    const concurrent = await Promise.all(SECONDS.map((s) => detector.detect(frames.get(s)!)));
    expect(concurrent).toEqual(sequential);
  });

  it('detects inside a region of the frame, in frame coordinates', async () => {
    const { objects, timings } = await detector.detectTimed(frames.get(10)!, { x1: 560, y1: 0, x2: 768, y2: 160 });
    expect(findNear(objects, VAN, ['car', 'truck']).length, objects.map(round).join('; ')).toBeGreaterThanOrEqual(1);
    expect(findNear(objects, CAR, ['car'])).toHaveLength(1);
    expect(timings.inferMs).toBeGreaterThan(0);
    expect(timings.preprocessMs).toBeGreaterThan(0);
  });

  it('applies per-class thresholds and merged-class NMS', async () => {
    const d = await createOnnxDetector({
      modelPath: YOLOX_NANO,
      manifest,
      classThresholds: { person: 0.99 },
      nmsMergeClasses: [['car', 'truck', 'bus']],
    });
    try {
      const objects = await d.detect(frames.get(10)!);
      expect(objects.filter((o) => o.label === 'person')).toEqual([]);
      // One object for the van instead of a car and a truck.
      expect(findNear(objects, VAN, ['car', 'truck'])).toHaveLength(1);
      expect(findNear(objects, CAR, ['car'])).toHaveLength(1);
    } finally {
      await d.close();
    }
  });

  it('rejects unknown labels in the thresholds', async () => {
    await expect(createOnnxDetector({ modelPath: YOLOX_NANO, manifest, classThresholds: { pedestrian: 0.5 } })).rejects.toMatchObject({
      code: 'DETECTOR_CONFIG',
      message: expect.stringContaining('"pedestrian"'),
    });
  });

  it('refuses a model whose graph or head does not match', async () => {
    const plate = loadManifest('y5fu_320x_sim');
    await expect(createOnnxDetector({ modelPath: YOLOX_NANO, manifest: plate })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
      message: expect.stringContaining('y5fu-plate'),
    });
    const wrongInput = { ...manifest, input: { ...manifest.input, name: 'input', width: 320, height: 320 } };
    await expect(createOnnxDetector({ modelPath: YOLOX_NANO, manifest: wrongInput })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
      message: expect.stringMatching(/no input "input" \(has images\)/),
    });
  });

  it('finishes queued work on close, then refuses new calls', async () => {
    const d = await createOnnxDetector({ modelPath: YOLOX_NANO, manifest });
    const pending = d.detect(frames.get(1)!);
    await d.close();
    expect((await pending).length).toBeGreaterThan(0);
    await expect(d.detect(frames.get(1)!)).rejects.toMatchObject({ code: 'DETECTOR_CLOSED' });
  });
});

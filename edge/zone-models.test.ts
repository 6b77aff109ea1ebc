/** Loading zone models: a user's file is refused at start-up, naming the model and its zones, when it cannot be what the config says. */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../models/errors.js';
import { tempDir, YOLOX_NANO } from '../test/fixtures.js';
import { fakeYolov8Onnx } from '../test/helpers/onnx-models.js';
import { edgeConfigSchema, type EdgeConfig } from './config.js';
import { loadZoneModels } from './zone-models.js';

const dir = tempDir('sw-zone-model-files-');
const V8 = join(dir, 'carts.onnx');
writeFileSync(V8, fakeYolov8Onnx({ size: 320, classes: 2, boxes: [] }));

/** One camera (or two sharing the file) whose `plaza` zone runs `model` every 5 s. */
function config(model: Record<string, unknown>, cameras = 1): EdgeConfig {
  return edgeConfigSchema.parse({
    device: { id: 'pole-1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    detector: { workers: 0 },
    cameras: Array.from({ length: cameras }, (_, i) => ({
      id: `cam-${i + 1}`, source: 'unused',
      models: [{ id: 'carts', path: V8, format: 'yolov8', classes: ['cart', 'stall'], ...model }],
      zones: [{ id: 'plaza', kind: 'no_vending', polygon: [[0, 0], [1, 0], [1, 1]], goodsClasses: ['cart', 'stall'], detector: { model: 'carts', everySeconds: 5 } }],
    })),
  });
}

async function refusal(cfg: EdgeConfig): Promise<ModelError> {
  const err = await loadZoneModels(cfg).then(
    async (m) => {
      await m.close();
      throw new Error('loaded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

describe('loadZoneModels', () => {
  it('loads a file several cameras declare once, each camera with its own labels', async () => {
    const cfg = config({}, 2);
    cfg.cameras[1].models[0].classes = { 1: 'stall' };
    const models = await loadZoneModels(cfg);
    try {
      const [a, b] = [models.forCamera('cam-1').get('carts')!, models.forCamera('cam-2').get('carts')!];
      expect(a.detector).toBe(b.detector);
      expect(a.inputSize).toBe(320);
      expect([...a.labels]).toEqual([[0, 'cart'], [1, 'stall']]);
      expect([...b.labels]).toEqual([[1, 'stall']]);
      expect(models.forCamera('cam-9').size).toBe(0);
    } finally {
      await models.close();
    }
  });

  it('runs on a worker thread when the main detector does, finding boxes in frame pixels of the crop', async () => {
    const file = join(dir, 'one-box.onnx');
    writeFileSync(file, fakeYolov8Onnx({ size: 320, classes: 2, boxes: [{ cx: 100, cy: 50, w: 40, h: 20, classId: 1, score: 0.9 }] }));
    const cfg = config({ path: file });
    cfg.detector.workers = 2;
    const models = await loadZoneModels(cfg);
    try {
      const { detector } = models.forCamera('cam-1').get('carts')!;
      expect('workers' in detector && detector.workers).toBe(1); // one thread is plenty every few seconds
      const frame = { width: 768, height: 576, data: Buffer.alloc(768 * 576 * 3) };
      const [found] = await detector.detect(frame, { x1: 400, y1: 200, x2: 720, y2: 520 });
      expect(found).toMatchObject({ classId: 1, box: { x1: 480, y1: 240, x2: 520, y2: 260 } });
    } finally {
      await models.close();
    }
  });

  it('refuses a missing file, naming the model and the zone', async () => {
    const err = await refusal(config({ path: join(dir, 'nowhere.onnx') }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toMatch(/^cameras\[0\]\.models\[0\] \(model carts, used by zone plaza\): model file .*nowhere\.onnx does not exist/);
  });

  it('refuses a file that is no ONNX model', async () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    expect((await refusal(config({ path: junk }))).message).toMatch(/model carts, used by zone plaza\): model file .*junk\.onnx is not an ONNX model/);
  });

  it('refuses a model of another head than declared, both ways', async () => {
    const yolox = join(dir, 'yolox.onnx');
    copyFileSync(YOLOX_NANO, yolox);
    const asV8 = await refusal(config({ path: yolox }));
    expect(asV8.code).toBe('MODEL_MISMATCH');
    expect(asV8.message).toMatch(/is not a yolov8 model: output "output" has shape \[1, 3549, 85\], expected \[1, 4 \+ classes, anchors\]/);
    expect((await refusal(config({ format: 'yolox' }))).message).toMatch(/is not a yolox model: output "output0" has shape \[1, 6, 64\]/);
  });

  it('refuses classes that do not fit the model', async () => {
    expect((await refusal(config({ classes: ['cart'] }))).message).toMatch(/\(model carts, used by zone plaza\): classes lists 1 labels, the model has 2 classes/);
    expect((await refusal(config({ classes: { 1: 'cart', 5: 'stall' } }))).message).toMatch(/classes maps id 5, the model has classes 0 to 1/);
  });
});

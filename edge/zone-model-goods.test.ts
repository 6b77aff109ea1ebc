/**
 * Zone models meet scene occupancy end to end: the evaluation set's stall clip (a stall drawn on
 * the plaza, its keeper standing beside it) replayed with the real detector, once without and once
 * with a second-stage model (a synthetic YOLOv8 export) that sees goods on the stall. Occupancy
 * finds the stall either way; the model's goods raise the street_vending detection's confidence.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionMessage } from '../contract/index.js';
import { iou } from '../detector/nms.js';
import { tempDir, VTEST_SIZE } from '../test/fixtures.js';
import { fakeYolov8Onnx } from '../test/helpers/onnx-models.js';
import { edgeConfigSchema, type EdgeConfig } from './config.js';
import { generatedClip } from './eval/recipes.js';
import { OBJECT_CONFIDENCE } from './logic/rules/vending.js';
import { zoneCrop } from './logic/zone-crop.js';
import { loadDetector, type TimedDetector } from './model-updates/load-detector.js';
import { replay } from './replay.js';
import { loadZoneModels } from './zone-models.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const dir = tempDir('sw-zone-goods-');
const MODEL = join(dir, 'goods.onnx');
const INPUT = 320;
const GOODS_SCORE = 0.9;
const PLAZA: [number, number][] = [[0.35, 0.25], [0.85, 0.25], [0.85, 0.6], [0.35, 0.6]];
// The recipe's stall: its 112x64 px tarp at (470, 262) of the 768x576 frame (edge/eval/recipes.ts).
const STALL = { x1: 470, y1: 262, x2: 582, y2: 326 };

/** The stall as the zone model sees it: in its input pixels, the plaza's square crop scaled to 320. */
function stallInModelInput() {
  const crop = zoneCrop(PLAZA, VTEST_SIZE, INPUT);
  const k = INPUT / (crop.x2 - crop.x1);
  const [x1, y1, x2, y2] = [(STALL.x1 - crop.x1) * k, (STALL.y1 - crop.y1) * k, (STALL.x2 - crop.x1) * k, (STALL.y2 - crop.y1) * k];
  return { cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, w: x2 - x1, h: y2 - y1, classId: 0, score: GOODS_SCORE };
}

function config(zoneModel: boolean): EdgeConfig {
  return edgeConfigSchema.parse({
    device: { id: 'pole-1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    detector: { workers: 1 },
    cameras: [{
      id: 'cam-1', source: 'unused', fps: 5,
      models: zoneModel ? [{ id: 'goods', path: MODEL, format: 'yolov8', classes: ['stall'] }] : [],
      zones: [{
        id: 'plaza', kind: 'no_vending', polygon: PLAZA, dwellSeconds: 15,
        ...(zoneModel ? { goodsClasses: ['stall', 'umbrella'], detector: { model: 'goods', everySeconds: 2 } } : {}),
      }],
    }],
  });
}

describe('zone-model goods on a stall that scene occupancy finds', { timeout: 300_000 }, () => {
  let detector: TimedDetector;
  let video: string;
  beforeAll(async () => {
    writeFileSync(MODEL, fakeYolov8Onnx({ size: INPUT, classes: 1, boxes: [stallInModelInput()] }));
    [detector, video] = await Promise.all([loadDetector(config(false)), generatedClip('stall-appears', join(dir, 'clips'))]);
  });
  afterAll(() => detector?.close());

  /** The street_vending detections started over the clip, and the zone model's runs. */
  async function play(cfg: EdgeConfig) {
    const started: DetectionMessage[] = [];
    const zoneModels = await loadZoneModels(cfg);
    try {
      const summary = await replay({
        config: cfg, detector, zoneModels, video, startMs: T0,
        onMessage: (m) => {
          if (m.kind !== 'detection') return;
          const d = JSON.parse(String(m.payload)) as DetectionMessage;
          if (d.state === 'started') started.push(d);
        },
      });
      return { started, zoneModelRuns: summary.zoneModels.goods?.inferences ?? 0 };
    } finally {
      await zoneModels.close();
    }
  }

  it('raise the street_vending confidence above that of the object alone', async () => {
    const alone = await play(config(false));
    const withGoods = await play(config(true));
    for (const run of [alone, withGoods]) {
      expect(run.started.map((d) => d.type)).toEqual(['street_vending']);
      expect(iou(pixels(run.started[0].bbox!), STALL)).toBeGreaterThan(0.7);
    }
    expect(alone.zoneModelRuns).toBe(0);
    expect(withGoods.zoneModelRuns).toBeGreaterThan(20); // every 2 s of the 60 s clip
    const [without, withModel] = [alone.started[0], withGoods.started[0]];
    expect(without.confidence).toBe(OBJECT_CONFIDENCE);
    expect(without.label).toBe('object');
    // Noisy-OR of the object's own confidence and the goods' score.
    expect(withModel.confidence).toBeCloseTo(1 - (1 - OBJECT_CONFIDENCE) * (1 - GOODS_SCORE), 2);
    expect(withModel.confidence).toBeGreaterThan(without.confidence);
    expect(withModel.label).toBe('stall');
  });
});

const pixels = (b: { x1: number; y1: number; x2: number; y2: number }) => ({
  x1: b.x1 * VTEST_SIZE.width, y1: b.y1 * VTEST_SIZE.height, x2: b.x2 * VTEST_SIZE.width, y2: b.y2 * VTEST_SIZE.height,
});

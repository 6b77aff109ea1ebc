/**
 * Zone models end to end on real frames of vtest.avi: a user's YOLOv8 export (built here, its
 * output fixed) loaded from the config, run on a no_vending zone's crop every 5 s by the camera
 * pipeline next to the real YOLOX-Nano, its classes mapped, its objects kept inside the zone only,
 * and tracked as goods and a person that make a street_vending detection.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectBox } from '../detector/types.js';
import { frameAt, tempDir } from '../test/fixtures.js';
import { fakeYolov8Onnx } from '../test/helpers/onnx-models.js';
import { EdgePublisher } from './adapters/outbox.js';
import { CameraPipeline } from './camera-pipeline.js';
import { edgeConfigSchema, type EdgeConfig } from './config.js';
import { boxInZone } from './logic/zones.js';
import { loadDetector, type TimedDetector } from './model-updates/load-detector.js';
import type { ZoneModelStats } from './logic/zone-model-telemetry.js';
import { ZoneModelStage } from './zone-model-stage.js';
import { loadZoneModels, type ZoneModels } from './zone-models.js';
import type { DetectionMessage } from '../contract/index.js';

/** Wall-clock time of the first frame: the contract takes no instant before 2000. */
const T0 = Date.UTC(2026, 0, 5, 9);
const dir = tempDir('sw-zone-models-');
const MODEL = join(dir, 'stalls.onnx');

// The plaza's middle: 230.4–460.8 x 288–460.8 px of the 768x576 frame. Its crop is a 320 px
// square (the model's input) centred on it, from (186, 214): input pixels + (186, 214) = frame pixels.
const MARKET: [number, number][] = [[0.3, 0.5], [0.6, 0.5], [0.6, 0.8], [0.3, 0.8]];
const CROP = { x: 186, y: 214 };
// Network-input boxes: a stall, a person beside it, a stall left of the zone (in the crop, not in
// the zone) and a class the config does not map.
const STALL = { cx: 160, cy: 200, w: 60, h: 40, classId: 1, score: 0.9 };
const PERSON = { cx: 215, cy: 185, w: 30, h: 70, classId: 0, score: 0.8 };
const OUTSIDE = { cx: 40, cy: 40, w: 40, h: 40, classId: 1, score: 0.9 };
const UNMAPPED = { cx: 160, cy: 100, w: 50, h: 50, classId: 2, score: 0.9 };
const inFrame = (b: typeof STALL) => ({ x1: b.cx - b.w / 2 + CROP.x, y1: b.cy - b.h / 2 + CROP.y, x2: b.cx + b.w / 2 + CROP.x, y2: b.cy + b.h / 2 + CROP.y });

function config(): EdgeConfig {
  return edgeConfigSchema.parse({
    device: { id: 'pole-1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    // As the agent runs by default: both models on worker threads, the frame's pixels moving to each in turn.
    detector: { workers: 2 },
    motion: { enabled: false },
    cameras: [{
      id: 'cam-1', source: 'unused', fps: 2,
      models: [{ id: 'stalls', path: MODEL, format: 'yolov8', classes: { 0: 'person', 1: 'stall' } }],
      zones: [{
        id: 'market', kind: 'no_vending', polygon: MARKET, dwellSeconds: 4, goodsClasses: ['stall', 'umbrella'],
        detector: { model: 'stalls', everySeconds: 5 },
      }],
    }],
  });
}

/** 2 frames/s from 20 s into the clip: people walk across the plaza. */
const FRAMES = Array.from({ length: 30 }, (_, i) => frameAt(20 + i * 0.5));
const tsOf = (i: number) => T0 + i * 500;

describe('zone models', () => {
  let cfg: EdgeConfig;
  let zoneModels: ZoneModels;
  let detector: TimedDetector;
  beforeAll(async () => {
    writeFileSync(MODEL, fakeYolov8Onnx({ size: 320, classes: 3, boxes: [STALL, PERSON, OUTSIDE, UNMAPPED] }));
    cfg = config();
    [zoneModels, detector] = await Promise.all([loadZoneModels(cfg), loadDetector(cfg)]);
  });
  afterAll(async () => {
    await Promise.all([zoneModels?.close(), detector?.close()]);
  });

  it('run on the zone\'s crop only on frames where it is due; mapped, tagged and inside the zone', async () => {
    const stats: Record<string, ZoneModelStats> = {};
    const stage = new ZoneModelStage(zoneModels.forCamera('cam-1'), cfg.cameras[0].zones, stats);
    const seen: { frame: number; objects: ObjectBox[] }[] = [];
    for (const [i, frame] of FRAMES.entries()) {
      const run = stage.due(tsOf(i), 'UTC');
      if (run) seen.push({ frame: i, objects: await run(frame) });
    }
    expect(seen.map((s) => s.frame)).toEqual([0, 10, 20]); // every 5 s of frame time
    for (const { objects } of seen) {
      expect(objects).toHaveLength(2);
      const [stall, person] = [objects.find((o) => o.label === 'stall')!, objects.find((o) => o.label === 'person')!];
      expect(stall).toMatchObject({ classId: 1, model: 'stalls' });
      expect(person).toMatchObject({ classId: 0, model: 'stalls' });
      expect(stall.box.x1).toBeCloseTo(inFrame(STALL).x1, 0);
      expect(stall.box.y2).toBeCloseTo(inFrame(STALL).y2, 0);
      expect(person.box.x2).toBeCloseTo(inFrame(PERSON).x2, 0);
      for (const o of objects) expect(boxInZone(o.box, MARKET, FRAMES[0])).toBe(true);
    }
    // The outside stall was found (it is in the crop) but is left of the zone: never passed on.
    expect(boxInZone(inFrame(OUTSIDE), MARKET, FRAMES[0])).toBe(false);
    expect(stats.stalls).toMatchObject({ inferences: 3, objects: 6 });
  });

  it('through the camera pipeline: counted per model; a stall it reports where the scene shows nothing new is no violation', async () => {
    const detections: DetectionMessage[] = [];
    const publisher = new EdgePublisher({ send: (m) => { if (m.kind === 'detection') detections.push(JSON.parse(String(m.payload))); } }, 'streetwatch/v1', 'pole-1');
    const pipeline = new CameraPipeline({ config: cfg, camera: cfg.cameras[0], detector, publisher, zoneModels: zoneModels.forCamera('cam-1') });
    for (const [i, frame] of FRAMES.entries()) await pipeline.push(frame, tsOf(i));
    await pipeline.flush();
    expect(pipeline.stats.inferences).toBe(30); // the main detector: every frame
    expect(pipeline.stats.zoneModels.stalls).toMatchObject({ inferences: 3, objects: 6 });
    // No_vending zones fire on new objects in the scene (occupancy); goods classes only raise their
    // confidence. The synthetic model's stall stands on unchanged footage: nothing is new there.
    expect(detections.filter((d) => d.state === 'started')).toEqual([]);
  });

  it('a zone without a due model, or outside its active hours, runs nothing', () => {
    const zone = { ...cfg.cameras[0].zones[0], schedule: [{ days: ['sat' as const], from: '08:00', to: '09:00' }] };
    const stage = new ZoneModelStage(zoneModels.forCamera('cam-1'), [zone], {});
    expect(stage.due(T0, 'UTC')).toBeUndefined(); // T0 is a Monday
    stage.setZones([{ ...zone, schedule: undefined, detector: undefined }]);
    expect(stage.due(T0, 'UTC')).toBeUndefined();
  });
});

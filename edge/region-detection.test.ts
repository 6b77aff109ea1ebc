/**
 * Region-based detection on the real model and clip: the kerb's parked van and car are found
 * through the regions, and where the whole frame shrinks them out of sight, only the regions find them.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector, PixelBox, RgbFrame } from '../detector/types.js';
import { framesAt, makeClip, tempDir } from '../test/fixtures.js';
import { EdgePublisher } from './adapters/outbox.js';
import { CameraPipeline } from './camera-pipeline.js';
import { edgeConfigSchema, type EdgeConfig } from './config.js';
import { loadDetector, type TimedDetector } from './model-updates/load-detector.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const KERB = [[0.8, 0.04], [1, 0.04], [1, 0.22], [0.8, 0.22]];
// vtest at half size in the top-right corner of a 1536x1152 grey frame: the kerb is 77x52 px of it.
const SMALL = { width: 1536, height: 1152 };
const SMALL_KERB = [[0.95, 0.01], [1, 0.01], [1, 0.055], [0.95, 0.055]];

function edgeConfig(polygon: number[][], regions: boolean): EdgeConfig {
  return edgeConfigSchema.parse({
    device: { id: 'pole-1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    detector: { workers: 1, regions: { enabled: regions } },
    motion: { enabled: false },
    cameras: [{ id: 'cam-1', source: 'unused', fps: 5, zones: [{ id: 'kerb', kind: 'no_parking', polygon, dwellSeconds: 1 }] }],
  });
}

/** Runs the frames (5 fps) through a pipeline; returns its stats. */
async function run(config: EdgeConfig, detector: Detector, frames: RgbFrame[]) {
  const publisher = new EdgePublisher({ send: () => undefined }, 'streetwatch/v1', 'pole-1');
  const pipeline = new CameraPipeline({ config, camera: config.cameras[0], detector, publisher });
  for (const [i, f] of frames.entries()) await pipeline.push(f, T0 + i * 200);
  await pipeline.flush();
  return pipeline.stats;
}

describe('region-based detection', () => {
  let detector: TimedDetector;
  beforeAll(async () => {
    detector = await loadDetector(edgeConfig(KERB, true));
  });
  afterAll(() => detector.close());

  it('finds the parked van and car of the kerb zone through its region', async () => {
    const frames = framesAt(20, 30, 5);
    const regions: (PixelBox | undefined)[] = [];
    const watched: Detector = { ...detector, detect: (frame, region) => (regions.push(region), detector.detect(frame, region)) };
    const stats = await run(edgeConfig(KERB, true), watched, frames);
    expect(stats.detectionsStarted.illegal_parking).toBe(2);
    // One run per frame: the kerb's region, or the whole frame every 4 s (the default) of the 6 s instead…
    expect(stats.detectorRuns).toBe(30);
    expect(regions.filter((r) => r)).toHaveLength(30 - 2);
    expect(regions.filter((r) => r).every((r) => r!.x2 - r!.x1 === 416 && r!.x2 === 768 && r!.y1 === 0)).toBe(true);
    // …and one more for the evidence photo's bystanders, so nobody outside the region stays sharp.
    expect(regions.filter((r) => !r)).toHaveLength(2 + 1);
  }, 120_000);

  it('finds vehicles too small for the whole frame, which alone misses them', async () => {
    const clip = makeClip(join(tempDir('sw-regions-'), 'small.mp4'), { seconds: 7, filter: `scale=384:288,pad=${SMALL.width}:${SMALL.height}:1152:0:gray` });
    const frames = framesAt(0, 30, 5, clip, SMALL);
    const whole = await run(edgeConfig(SMALL_KERB, false), detector, frames.map((f) => ({ ...f, data: Buffer.from(f.data) })));
    expect(whole.detectionsStarted.illegal_parking).toBeUndefined();
    const regions = await run(edgeConfig(SMALL_KERB, true), detector, frames);
    expect(regions.detectionsStarted.illegal_parking).toBe(2);
  }, 120_000);
});

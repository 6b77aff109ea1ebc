/** Frame ownership: every frame pushed is handed back exactly once, after the pipeline is done with it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbFrame } from '../detector/types.js';
import { frameAt } from '../test/fixtures.js';
import { CameraPipeline } from './camera-pipeline.js';
import { edgeConfigSchema } from './config.js';
import { readImageFile } from '../detector/plate/image-file.js';
import { PLATES_DIR } from '../test/fixtures.js';
import { join } from 'node:path';
import { loadDetector, loadEdgePlateReader, type TimedDetector } from './model-updates/load-detector.js';
import { EdgePublisher } from './adapters/outbox.js';

/** Wall-clock time of the first frame: the contract takes no instant before 2000. */
const T0 = Date.UTC(2026, 0, 5, 9);

describe('CameraPipeline frame release', () => {
  const config = edgeConfigSchema.parse({
    device: { id: 'pole-1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    detector: { workers: 1 },
    motion: { enabled: false },
    cameras: [{ id: 'cam-1', source: 'unused', fps: 10, zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0.8, 0.04], [1, 0.04], [1, 0.22], [0.8, 0.22]], dwellSeconds: 1 }] }],
  });
  let detector: TimedDetector;
  beforeAll(async () => {
    detector = await loadDetector(config);
  });
  afterAll(() => detector.close());

  it('releases each frame once, only after it was processed, and evidence is still cut from the right pixels', async () => {
    const released: RgbFrame[] = [];
    const sent: string[] = [];
    const publisher = new EdgePublisher({ send: (m) => sent.push(m.kind) }, 'streetwatch/v1', 'pole-1');
    const pipeline = new CameraPipeline({ config, camera: config.cameras[0], detector, publisher, releaseFrame: (f) => released.push(f) });
    const frames = Array.from({ length: 30 }, (_, i) => frameAt(20 + i * 0.2));
    for (const [i, f] of frames.entries()) {
      await pipeline.push(f, T0 + i * 200);
      // Never more released than processed, and never one still in flight.
      expect(released.length).toBeLessThanOrEqual(pipeline.stats.frames);
    }
    await pipeline.flush();
    expect(released).toHaveLength(frames.length);
    expect(new Set(released).size).toBe(frames.length);
    expect(released).toEqual(frames); // in frame order, the very frame objects pushed
    // The parked vehicles became violations with photos, made before their frames were released.
    expect(sent).toContain('evidence');
    expect(pipeline.stats.detectionsStarted.illegal_parking).toBe(2);
  });

  it('keeps a frame whose plate is being read until the read is done', async () => {
    const street = edgeConfigSchema.parse({
      ...config,
      cameras: [{ id: 'cam-1', source: 'unused', fps: 2, zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0.3, 0.6], [1, 0.6], [1, 1], [0.3, 1]], dwellSeconds: 60 }] }],
    });
    const reader = (await loadEdgePlateReader(street))!;
    try {
      const image = await readImageFile(join(PLATES_DIR, 'street-1.jpg'));
      const released: RgbFrame[] = [];
      const releasedDuringRead: boolean[] = [];
      // The real reader, noting whether its frame had been handed back while it was reading.
      const watching = {
        ...reader,
        inputSize: reader.inputSize,
        read: async (frame: RgbFrame, region?: Parameters<typeof reader.read>[1]) => {
          const out = await reader.read(frame, region);
          releasedDuringRead.push(released.includes(frame));
          return out;
        },
        locate: reader.locate.bind(reader),
      };
      const pipeline = new CameraPipeline({ config: street, camera: street.cameras[0], detector, plateReader: watching, publisher: new EdgePublisher({ send: () => undefined }, 'r', 'pole-1'), releaseFrame: (f) => released.push(f) });
      const frames = Array.from({ length: 16 }, () => ({ ...image, data: Buffer.from(image.data) }));
      for (const [i, f] of frames.entries()) await pipeline.push(f, T0 + i * 500);
      await pipeline.flush(); // frames and plate reads
      expect(new Set(released).size).toBe(frames.length);
      expect(releasedDuringRead.length).toBeGreaterThan(0); // the white car's plate was read…
      expect(releasedDuringRead.every((r) => !r)).toBe(true); // …each time from a frame still held
    } finally {
      await reader.close();
    }
  });

  it('an overstay carries the vehicle\'s plate, as illegal parking does', async () => {
    const timed = edgeConfigSchema.parse({
      ...config,
      cameras: [{ id: 'cam-1', source: 'unused', fps: 2, zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0.3, 0.6], [1, 0.6], [1, 1], [0.3, 1]], maxStaySeconds: 3 }] }],
    });
    const reader = (await loadEdgePlateReader(timed))!;
    try {
      const image = await readImageFile(join(PLATES_DIR, 'street-1.jpg'));
      const detections: { type: string; state: string; plate?: { text: string } }[] = [];
      const publisher = new EdgePublisher({ send: (m) => m.kind === 'detection' && detections.push(JSON.parse(String(m.payload))) }, 'r', 'pole-1');
      const pipeline = new CameraPipeline({ config: timed, camera: timed.cameras[0], detector, plateReader: reader, publisher, releaseFrame: () => undefined });
      for (let i = 0; i < 16; i++) await pipeline.push({ ...image, data: Buffer.from(image.data) }, T0 + i * 500);
      await pipeline.flush();
      const started = detections.filter((d) => d.state === 'started');
      expect(started.map((d) => d.type)).toEqual(['overstay']);
      expect(started[0].plate?.text).toBe('苏ED51712');
    } finally {
      await reader.close();
    }
  });
});

/**
 * Exempt plates end to end on the box, with the real detector and plate reader: street-1.jpg as a
 * still video, a no_parking zone over the white car (plate 苏ED51712). Listed as exempt, typed the way
 * an operator writes it, its violation sends nothing and leaves one audit line.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionMessage, ExemptPlate } from '../contract/index.js';
import { readImageFile } from '../detector/plate/image-file.js';
import type { RgbFrame } from '../detector/types.js';
import { PLATES_DIR } from '../test/fixtures.js';
import { EdgePublisher } from './adapters/outbox.js';
import { CameraPipeline } from './camera-pipeline.js';
import { edgeConfigSchema } from './config.js';
import { loadDetector, loadEdgePlateReader, type TimedDetector } from './model-updates/load-detector.js';
import type { PlateReader } from '../detector/plate/types.js';

/** Wall-clock time of the first frame: the contract takes no instant before 2000. */
const T0 = Date.UTC(2026, 0, 5, 9);
const FRAMES = 16;
const STEP_MS = 500;

describe('exempt plates in the camera pipeline (real models, street-1.jpg)', () => {
  const config = edgeConfigSchema.parse({
    device: { id: 'pole-1' },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    detector: { workers: 1 },
    motion: { enabled: false },
    cameras: [{ id: 'cam-1', source: 'unused', fps: 2, zones: [{ id: 'kerb', kind: 'no_parking', polygon: [[0.3, 0.6], [1, 0.6], [1, 1], [0.3, 1]], dwellSeconds: 3 }] }],
  });
  let detector: TimedDetector;
  let reader: PlateReader;
  let image: RgbFrame;
  beforeAll(async () => {
    detector = await loadDetector(config);
    reader = (await loadEdgePlateReader(config))!;
    image = await readImageFile(join(PLATES_DIR, 'street-1.jpg'));
  });
  afterAll(async () => {
    await detector.close();
    await reader.close();
  });

  /** `live`: the list arrives by remote config after the pipeline started, not in its initial config. */
  async function run(exemptPlates: ExemptPlate[], live = false) {
    const cfg = { ...config, exemptPlates };
    const detections: DetectionMessage[] = [];
    let evidence = 0;
    const publisher = new EdgePublisher(
      {
        send: (m) => {
          if (m.kind === 'detection') detections.push(JSON.parse(m.payload.toString()) as DetectionMessage);
          if (m.kind === 'evidence') evidence++;
        },
      },
      'streetwatch/v1',
      'pole-1',
    );
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => { lines.push(JSON.parse(chunk.toString())); done(); } }));
    const pipeline = new CameraPipeline({ config: live ? config : cfg, camera: cfg.cameras[0], detector, plateReader: reader, publisher, logger });
    if (live) pipeline.applyConfig(cfg);
    for (let i = 0; i < FRAMES; i++) await pipeline.push({ ...image, data: Buffer.from(image.data) }, T0 + i * STEP_MS);
    await pipeline.end(T0 + FRAMES * STEP_MS, 'source_ended');
    const audits = lines.filter((l) => l.audit === 'exempt_vehicle').map(({ audit, cameraId, zoneId, plate, eventId }) => ({ audit, cameraId, zoneId, plate, eventId }));
    return { detections, evidence, audits, stats: pipeline.stats };
  }

  it('without exemptions the white car is a violation carrying its plate; listed, it sends nothing and is audited once', async () => {
    const plain = await run([]);
    const car = plain.detections.filter((d) => d.plate?.text === '苏ED51712');
    expect(car.map((d) => d.state)).toEqual(expect.arrayContaining(['started', 'ended']));
    expect(plain.evidence).toBeGreaterThan(0);
    expect(plain.stats.exemptVehicles).toBe(0);
    expect(plain.audits).toEqual([]);

    const exempt = await run([{ plate: '苏E·D51712', reason: 'ambulance' }]);
    // The car is the only vehicle in the zone: nothing at all is sent — no started, no update, no end, no photo.
    expect(exempt.detections).toEqual([]);
    expect(exempt.evidence).toBe(0);
    expect(exempt.stats.exemptVehicles).toBe(1);
    expect(exempt.audits).toEqual([{ audit: 'exempt_vehicle', cameraId: 'cam-1', zoneId: 'kerb', plate: '苏ED51712', eventId: expect.any(String) }]);
  });

  it('a list applied by remote config exempts from then on', async () => {
    const live = await run([{ plate: '苏ED51712' }], true);
    expect(live.detections).toEqual([]);
    expect(live.stats.exemptVehicles).toBe(1);
  });

  it('an expired exemption exempts nothing', async () => {
    const expired = await run([{ plate: '苏ED51712', expiresAt: new Date(T0 - 1000).toISOString() }]);
    expect(expired.detections.some((d) => d.plate?.text === '苏ED51712' && d.state === 'started')).toBe(true);
    expect(expired.stats.exemptVehicles).toBe(0);
  });
});

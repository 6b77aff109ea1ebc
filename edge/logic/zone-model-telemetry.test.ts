import { describe, expect, it } from 'vitest';
import { telemetryMessage } from '../../contract/index.js';
import { snapshotZoneModels, zoneModelWindow, type ZoneModelStats } from './zone-model-telemetry.js';

describe('zone models in telemetry', () => {
  it('reports each window as the difference of the running totals, mean ms per run', () => {
    const totals: Record<string, ZoneModelStats> = { stalls: { inferences: 4, inferenceMsTotal: 100, objects: 7 } };
    expect(zoneModelWindow(totals, {})).toEqual([{ modelId: 'stalls', runs: 4, inferenceMs: 25, detections: 7 }]);

    const before = snapshotZoneModels(totals);
    totals.stalls.inferences += 2;
    totals.stalls.inferenceMsTotal += 30.25;
    totals.stalls.objects += 1;
    totals.carts = { inferences: 1, inferenceMsTotal: 8, objects: 0 }; // its first run
    expect(before.stalls).toEqual({ inferences: 4, inferenceMsTotal: 100, objects: 7 }); // a copy, not the live totals
    expect(zoneModelWindow(totals, before)).toEqual([
      { modelId: 'stalls', runs: 2, inferenceMs: 15.1, detections: 1 },
      { modelId: 'carts', runs: 1, inferenceMs: 8, detections: 0 },
    ]);
    // A window without runs keeps the model listed, at 0 ms.
    expect(zoneModelWindow(totals, snapshotZoneModels(totals))).toEqual([
      { modelId: 'stalls', runs: 0, inferenceMs: 0, detections: 0 },
      { modelId: 'carts', runs: 0, inferenceMs: 0, detections: 0 },
    ]);
  });

  it('fits the telemetry message; a camera without zone models (or an older box) leaves the field out', () => {
    const camera = { cameraId: 'cam-1', state: 'connected', fps: 2, inferenceMs: 30, skippedFrames: 0, droppedFrames: 0, lastFrameAt: null, openDetections: 0 } as const;
    const msg = {
      v: 1, deviceId: 'pole-1', at: '2026-12-05T09:00:00.000Z',
      cameras: [{ ...camera, zoneModels: zoneModelWindow({ stalls: { inferences: 2, inferenceMsTotal: 20, objects: 3 } }, {}) }, { ...camera, cameraId: 'cam-2' }],
      system: { cpuPercent: 1, rssMb: 1, memFreeMb: 1, diskFreeMb: 1, loadAvg1: 0, uptimeSeconds: 1 },
      spool: { messages: 0, bytes: 0, dropped: 0 },
    };
    const parsed = telemetryMessage.parse(msg);
    expect(parsed.cameras[0].zoneModels).toEqual([{ modelId: 'stalls', runs: 2, inferenceMs: 10, detections: 3 }]);
    expect(parsed.cameras[1]).not.toHaveProperty('zoneModels');
    expect(telemetryMessage.safeParse({ ...msg, cameras: [{ ...camera, zoneModels: [{ modelId: 'stalls', runs: -1, inferenceMs: 0, detections: 0 }] }] }).success).toBe(false);
  });
});

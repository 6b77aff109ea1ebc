import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { sharedDir } from '../common/paths.js';
import { digestFile } from './hash.js';
import { downloadFile, listManifestNames, listManifests, loadManifest, parseManifest } from './manifest.js';
import { sharedModelPath } from './resolve.js';

describe('model manifests', () => {
  it('lists every manifest in models/manifests', () => {
    expect(listManifestNames()).toEqual(['litemodel_cls_96x_r1', 'y5fu_320x_sim', 'y5fu_640x_sim', 'yolox_nano']);
  });

  it('describes yolox_nano: COCO-80 in index order, both accepted files, the official URL to download', () => {
    const m = loadManifest('yolox_nano');
    expect(m.classNames).toHaveLength(80);
    expect([0, 2, 3, 5, 7, 25, 56, 60, 79].map((i) => m.classNames[i])).toEqual([
      'person', 'car', 'motorcycle', 'bus', 'truck', 'umbrella', 'chair', 'dining table', 'toothbrush',
    ]);
    expect(m.files.map((f) => f.sha256.slice(0, 6)).sort()).toEqual(['695e75', 'c78916']);
    expect(downloadFile(m)).toMatchObject({
      sha256: 'c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d',
      url: 'https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx',
    });
    expect(m.input).toEqual({
      name: 'images', width: 416, height: 416, channelOrder: 'bgr', pixelRange: '0-255', resize: 'letterbox', padValue: 114,
    });
    expect(m.output).toEqual({ name: 'output', format: 'yolox' });
  });

  // The manifests are checked against the real files: a typo in a hash, a name or a size fails here.
  it.each(listManifestNames())('%s matches the real file in ../shared (sha256, size, input and output names and shape)', async (name) => {
    const m = loadManifest(name);
    const path = sharedModelPath(m, sharedDir);
    expect(existsSync(path), path).toBe(true);
    const digest = await digestFile(path);
    expect(m.files).toContainEqual(expect.objectContaining(digest));
    const session = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
    try {
      expect(session.inputNames).toEqual([m.input.name]);
      expect(session.outputNames).toEqual([m.output.name]);
      const input = session.inputMetadata[0];
      expect(input.isTensor && input.shape).toEqual([1, 3, m.input.height, m.input.width]);
    } finally {
      await session.release();
    }
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => loadManifest('yolox_tiny')).toThrow(expect.objectContaining({ code: 'MODEL_UNKNOWN', message: expect.stringContaining('yolox_nano') }));
    expect(() => loadManifest('../package')).toThrow(expect.objectContaining({ code: 'MODEL_UNKNOWN' }));
  });

  it('reports the failing field path of an invalid manifest', () => {
    const good = listManifests()[0];
    const bad = { ...good, files: [{ ...good.files[0], sha256: 'abc' }], input: { ...good.input, channelOrder: 'grb' } };
    expect(() => parseManifest(bad, 'x.json')).toThrow(/x\.json: files\.0\.sha256: .*; input\.channelOrder/);
  });
});

import { createOnnxDetector, type OnnxDetector } from '../detector/onnx-detector.js';
import { resolveModel } from '../models/resolve.js';
import { checkClassNames, type EdgeConfig } from './config.js';

/** Finds the configured model (path, cache or ../shared), loads it and checks the config's classes against it. */
export async function loadDetector(cfg: EdgeConfig): Promise<OnnxDetector> {
  const model = await resolveModel(cfg.model);
  checkClassNames(cfg, model.manifest.classNames);
  return createOnnxDetector({
    modelPath: model.path,
    manifest: model.manifest,
    threads: cfg.detector.threads,
    scoreThreshold: cfg.detector.scoreThreshold,
    classThresholds: cfg.detector.classThresholds,
    nmsIou: cfg.detector.nmsIou,
    nmsMergeClasses: cfg.detector.mergeClasses,
  });
}

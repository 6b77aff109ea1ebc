import { loadPlateReader } from '../../detector/plate/plate-reader.js';
import type { PlateReader } from '../../detector/plate/types.js';
import type { DetectTimings, OnnxDetectorOptions } from '../../detector/onnx-detector.js';
import type { Detector, ObjectBox, RgbFrame } from '../../detector/types.js';
import { openDetector } from '../../detector/worker-detector.js';
import { resolveModel } from '../../models/resolve.js';
import { checkClassNames, type EdgeConfig } from '../config.js';
import { loadZoneModels, type ZoneModels } from '../zone-models.js';

/** Finds the configured model (path, cache or ../shared), loads it and checks the config's classes against it. */
export type TimedDetector = Detector & { detectTimed(frame: RgbFrame): Promise<{ objects: ObjectBox[]; timings: DetectTimings }> };

export async function loadDetector(cfg: EdgeConfig): Promise<TimedDetector> {
  const model = await resolveModel(cfg.model);
  checkClassNames(cfg, model.manifest.classNames);
  const options: OnnxDetectorOptions = {
    modelPath: model.path,
    manifest: model.manifest,
    threads: cfg.detector.threads,
    scoreThreshold: cfg.detector.scoreThreshold,
    classThresholds: cfg.detector.classThresholds,
    nmsIou: cfg.detector.nmsIou,
    nmsMergeClasses: cfg.detector.mergeClasses,
  };
  return openDetector(options, cfg.detector.workers);
}

/** The plate reader, when plates are read or other plates blurred; its models are found like the detector's. */
export async function loadEdgePlateReader(cfg: EdgeConfig): Promise<PlateReader | undefined> {
  if (!cfg.plates.enabled && !cfg.privacy.blurPlates) return undefined;
  return loadPlateReader({ detector: cfg.plates.model.path ?? cfg.plates.model.name, threads: cfg.plates.threads, format: cfg.plates.format });
}

/** Loads the config's detector, plate reader and zone models, runs `fn` with them and closes them all, also when it throws. */
export async function withEdgeModels<T>(
  cfg: EdgeConfig,
  fn: (models: { detector: TimedDetector; plateReader?: PlateReader; zoneModels: ZoneModels }) => Promise<T>,
): Promise<T> {
  const detector = await loadDetector(cfg);
  let plateReader: PlateReader | undefined;
  let zoneModels: ZoneModels;
  try {
    plateReader = await loadEdgePlateReader(cfg);
    zoneModels = await loadZoneModels(cfg);
  } catch (err) {
    await Promise.all([detector.close(), plateReader?.close()]);
    throw err;
  }
  try {
    return await fn({ detector, plateReader, zoneModels });
  } finally {
    await Promise.all([detector.close(), plateReader?.close(), zoneModels.close()]);
  }
}

/**
 * The cameras' second-stage models (`cameras[].models`), loaded at start-up with the main
 * detector's adapter and thresholds. A file that several cameras declare is loaded once; each
 * camera keeps its own class labels for it. One worker thread per model (when the main detector
 * runs on workers): zone models run every few seconds, not on every frame.
 */
import { describeCustomModel } from '../detector/custom-model.js';
import type { Detector } from '../detector/types.js';
import { openDetector } from '../detector/worker-detector.js';
import { ModelError } from '../models/errors.js';
import { modelLabels, type CameraConfig, type EdgeConfig, type ZoneModelConfig } from './config.js';

export interface ZoneModel {
  readonly id: string;
  readonly detector: Detector;
  /** The longer side of the model's input: a zone's crop is at least this big. */
  readonly inputSize: number;
  /** Class id → label the zone's rule knows; other classes are dropped. */
  readonly labels: ReadonlyMap<number, string>;
}

export interface ZoneModels {
  /** A camera's models by id (none: an empty map). */
  forCamera(cameraId: string): ReadonlyMap<string, ZoneModel>;
  close(): Promise<void>;
}

/** Loads every camera's models; a missing file, another head or classes that do not fit are refused naming the model and its zones. */
export async function loadZoneModels(cfg: EdgeConfig): Promise<ZoneModels> {
  const files = new Map<string, { detector: Detector; inputSize: number; classes: number }>();
  const byCamera = new Map<string, Map<string, ZoneModel>>();
  const close = async () => {
    await Promise.all([...files.values()].map((f) => f.detector.close()));
  };
  try {
    for (const [ci, cam] of cfg.cameras.entries()) {
      const models = new Map<string, ZoneModel>();
      for (const [mi, m] of cam.models.entries()) {
        try {
          const key = `${m.format}:${m.path}`;
          let file = files.get(key);
          if (!file) {
            file = await loadFile(cfg, m);
            files.set(key, file);
          }
          models.set(m.id, { id: m.id, detector: file.detector, inputSize: file.inputSize, labels: checkedLabels(m, file.classes) });
        } catch (err) {
          if (!(err instanceof ModelError)) throw err;
          throw new ModelError(err.code, `cameras[${ci}].models[${mi}] (model ${m.id}, ${usedBy(cam, m.id)}): ${err.message}`);
        }
      }
      byCamera.set(cam.id, models);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { forCamera: (cameraId) => byCamera.get(cameraId) ?? new Map(), close };
}

async function loadFile(cfg: EdgeConfig, m: ZoneModelConfig): Promise<{ detector: Detector; inputSize: number; classes: number }> {
  const manifest = await describeCustomModel(m.path, m.format, m.id);
  const { threads, scoreThreshold, nmsIou, workers } = cfg.detector;
  const detector = await openDetector({ modelPath: m.path, manifest, threads, scoreThreshold, nmsIou }, Math.min(workers, 1));
  return { detector, inputSize: Math.max(manifest.input.width, manifest.input.height), classes: manifest.classNames.length };
}

/** A list must name every class of the model; a map only classes it has. */
function checkedLabels(m: ZoneModelConfig, classes: number): Map<number, string> {
  const labels = modelLabels(m);
  if (Array.isArray(m.classes) && m.classes.length !== classes) {
    throw new ModelError('MODEL_MISMATCH', `classes lists ${m.classes.length} labels, the model has ${classes} classes (map ids to labels to keep only some)`);
  }
  const beyond = [...labels.keys()].filter((id) => id >= classes);
  if (beyond.length) throw new ModelError('MODEL_MISMATCH', `classes maps id ${beyond.join(', ')}, the model has classes 0 to ${classes - 1}`);
  return labels;
}

function usedBy(cam: CameraConfig, modelId: string): string {
  const zones = cam.zones.filter((z) => z.detector?.model === modelId).map((z) => z.id);
  return zones.length ? `used by zone ${zones.join(', ')}` : 'used by no zone';
}

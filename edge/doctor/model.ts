/**
 * Doctor: the detector model is found and genuine, loads as the agent loads it, and infers a real
 * frame in time; the plate models load and read a frame.
 */
import type { RgbFrame } from '../../detector/types.js';
import { resolveModel, verifyModelFile, type ResolvedModel } from '../../models/resolve.js';
import type { EdgeConfig } from '../config.js';
import { loadDetector, loadEdgePlateReader } from '../model-updates/load-detector.js';
import { classifyInference, type CheckResult } from './verdicts.js';

/** A frame to run the models on, and where it came from (for the report). */
export interface SampleFrame {
  frame: RgbFrame;
  from: string;
}

/** Mid-grey 640×480: enough to prove the model runs when no camera gave a frame. */
export function syntheticFrame(): SampleFrame {
  const width = 640;
  const height = 480;
  return { frame: { width, height, data: Buffer.alloc(width * height * 3, 128) }, from: 'a synthetic frame (no camera frame)' };
}

const elapsed = (t0: number) => Math.round(performance.now() - t0);

/** `model`, then `inference` once the model loaded. */
export async function checkModel(cfg: EdgeConfig, sample: SampleFrame): Promise<CheckResult[]> {
  const fail = (detail: string): CheckResult[] => [{ check: 'model', status: 'fail', detail }];
  let model: ResolvedModel;
  try {
    model = await resolveModel(cfg.model);
  } catch (err) {
    return fail((err as Error).message);
  }
  const genuine = await checksum(model, cfg.model.name);
  const t0 = performance.now();
  // Main-thread session: the doctor needs one inference, not the agent's worker pool.
  const detector = await loadDetector({ ...cfg, detector: { ...cfg.detector, workers: 0 } }).catch((err: Error) => err);
  if (detector instanceof Error) return fail(`${model.path}: ${detector.message}`);
  const loaded: CheckResult = {
    check: 'model',
    status: genuine.ok ? 'pass' : 'warn',
    detail: `${model.manifest.name} from ${model.source} ${model.path} (${genuine.detail}), loaded in ${elapsed(t0)} ms`,
  };
  try {
    await detector.detect(sample.frame); // warm-up: the first run allocates
    const t1 = performance.now();
    const objects = await detector.detect(sample.frame);
    const ms = performance.now() - t1;
    const maxFps = Math.max(...cfg.cameras.filter((c) => c.enabled).map((c) => c.fps), 1);
    const verdict = classifyInference(ms, maxFps);
    const { width, height } = sample.frame;
    return [loaded, { check: 'inference', status: verdict.status, detail: `${verdict.detail}: ${objects.length} objects on ${sample.from} (${width}×${height})` }];
  } catch (err) {
    return [loaded, { check: 'inference', status: 'fail', detail: (err as Error).message }];
  } finally {
    await detector.close();
  }
}

/**
 * A named model from the cache or ../shared, or a path recognised by its sha256, was verified
 * while resolving. A path given with a name is trusted by name (re-exports, fine-tunes): check it.
 */
async function checksum(model: ResolvedModel, name: string | undefined): Promise<{ ok: boolean; detail: string }> {
  if (model.source !== 'path' || name === undefined) return { ok: true, detail: 'sha256 ok' };
  try {
    await verifyModelFile(model.path, model.manifest);
    return { ok: true, detail: 'sha256 ok' };
  } catch {
    return { ok: false, detail: `sha256 not one of ${model.manifest.name}'s files: trusted by name` };
  }
}

/** The plate reader loads whenever the agent would load it (plates read, or other plates blurred). */
export async function checkPlates(cfg: EdgeConfig, sample: SampleFrame): Promise<CheckResult> {
  const check = 'plates';
  const t0 = performance.now();
  let reader: Awaited<ReturnType<typeof loadEdgePlateReader>>;
  try {
    reader = await loadEdgePlateReader(cfg);
  } catch (err) {
    return { check, status: 'fail', detail: (err as Error).message };
  }
  if (!reader) return { check, status: 'pass', detail: 'not used (plates.enabled and privacy.blurPlates are off)' };
  const loadMs = elapsed(t0);
  try {
    const t1 = performance.now();
    const readings = await reader.read(sample.frame);
    return { check, status: 'pass', detail: `${cfg.plates.model.path ?? cfg.plates.model.name} and the recogniser loaded in ${loadMs} ms; ${readings.length} plates on ${sample.from} in ${elapsed(t1)} ms` };
  } catch (err) {
    return { check, status: 'fail', detail: (err as Error).message };
  } finally {
    await reader.close();
  }
}

/**
 * `streetwatch edge doctor`: checks a box before (or while) it runs — config, cameras, models,
 * broker, clock and spool — and reports each as pass, warn or fail with one line of detail.
 */
import { StreetWatchError } from '../common/errors.js';
import { loadEdgeConfig, type EdgeConfig } from './config.js';
import { checkBroker } from './doctor/broker.js';
import { checkCamera, type CameraCheck } from './doctor/camera.js';
import { checkClock } from './doctor/clock.js';
import { checkModel, checkPlates, syntheticFrame, type SampleFrame } from './doctor/model.js';
import { checkSpool } from './doctor/spool.js';
import type { CheckResult, CheckStatus } from './doctor/verdicts.js';

export type { CheckResult, CheckStatus } from './doctor/verdicts.js';

export interface DoctorOptions {
  /** How long each camera is watched after its first frame. */
  seconds: number;
  env?: NodeJS.ProcessEnv;
}

/** Every check's result, in a fixed order; a check that cannot run for a reason of ours is a fail too. */
export async function runDoctor(configFile: string, o: DoctorOptions): Promise<CheckResult[]> {
  let cfg: EdgeConfig;
  try {
    cfg = loadEdgeConfig(configFile, o.env);
  } catch (err) {
    if (!(err instanceof StreetWatchError)) throw err;
    return [{ check: 'config', status: 'fail', detail: err.message }];
  }
  const config: CheckResult = { check: 'config', status: 'pass', detail: `device ${cfg.device.id}, ${plural(cfg.cameras.length, 'camera')}` };

  // Cameras first, with only network waits beside them: model loading would eat the CPU whose frame rate is measured.
  const [cameras, broker, clock, spool] = await Promise.all([
    Promise.all(cfg.cameras.map((cam, i) => guard(`camera ${cam.id}`, checkCamera(cam, i, o.seconds), (result): CameraCheck => ({ result })))),
    guard('broker', checkBroker(cfg.mqtt, cfg.device.id), same),
    guard('clock', checkClock(cfg.center?.url), same),
    guard('spool', checkSpool(cfg.spool), same),
  ]);
  const withFrame = cameras.findIndex((c) => c.frame);
  const sample: SampleFrame = withFrame >= 0 ? { frame: cameras[withFrame].frame!, from: `a frame of ${cfg.cameras[withFrame].id}` } : syntheticFrame();
  const model = await guard('model', checkModel(cfg, sample), (r) => [r]);
  const plates = await guard('plates', checkPlates(cfg, sample), same);
  return [config, ...cameras.map((c) => c.result), ...model, plates, broker, clock, spool];
}

const same = (r: CheckResult) => r;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A check that throws (a bug, an unforeseen error) becomes its own fail line instead of hiding the others. */
async function guard<T>(check: string, run: Promise<T>, asResult: (r: CheckResult) => T): Promise<T> {
  try {
    return await run;
  } catch (err) {
    return asResult({ check, status: 'fail', detail: `check failed: ${(err as Error).message}` });
  }
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };

/** A line per check, `PASS  broker  detail`, and a count at the end. */
export function formatReport(configFile: string, results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length));
  const indent = ' '.repeat(6 + width + 2);
  const lines = results.map((r) => `${LABEL[r.status]}  ${r.check.padEnd(width)}  ${r.detail.split('\n').join(`\n${indent}`)}`);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return [`streetwatch edge doctor: ${configFile}`, ...lines, `${count('pass')} passed, ${plural(count('warn'), 'warning')}, ${count('fail')} failed`].join('\n');
}

export const doctorFailed = (results: readonly CheckResult[]): boolean => results.some((r) => r.status === 'fail');

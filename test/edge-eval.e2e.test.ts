/**
 * `streetwatch edge eval` on the first 45 s of the real clip (5 frames/s to stay quick): both
 * parked vehicles found at the labelled start; a label left out shows up as a false positive
 * and fails --min-precision.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { projectRoot } from '../common/paths.js';
import { makeClip, tempDir, VTEST } from './fixtures.js';

const run = promisify(execFile);
const CLI = join(projectRoot, 'dist', 'cli', 'main.js');
const VAN = { type: 'illegal_parking', zone: 'kerb', start: 30, box: [0.85, 0.07, 0.94, 0.17] };
const CAR = { type: 'illegal_parking', zone: 'kerb', start: 30, box: [0.95, 0.08, 1.0, 0.17] };

interface Report {
  total: { tp: number; fp: number; misses: number; precision: number; recall: number; delay: { mean: number; max: number } };
  clips: { id: string }[];
  unmet: string[];
}

async function edgeEval(labels: object, args: string[]): Promise<{ code: number; report: Report }> {
  const file = join(dir, `labels-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, YAML.stringify(labels));
  const result = await run('node', [CLI, 'edge', 'eval', '--config', config, '--labels', file, '--json', ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

const dir = tempDir('sw-eval-');
const config = join(dir, 'edge.yaml');
const clip = join(dir, 'vtest-45s.mp4');

describe.sequential('edge eval on the first 45 s of vtest.avi', () => {
  beforeAll(() => {
    makeClip(clip, { seconds: 45, fps: 5 });
    const example = YAML.parse(readFileSync(join(projectRoot, 'examples', 'edge-vtest.yaml'), 'utf8')) as { cameras: { source: string; fps: number }[] };
    example.cameras[0] = { ...example.cameras[0], source: VTEST, fps: 5 };
    writeFileSync(config, YAML.stringify(example));
  });

  it('both vehicles labelled: 2 TP, 0 FP, 0 misses, discovered at the labelled start; exit 0', async () => {
    const { code, report } = await edgeEval({ clips: [{ id: 'cut', video: clip, violations: [VAN, CAR] }] }, ['--min-precision', '1', '--min-recall', '1', '--max-delay', '1']);
    expect(report.total).toMatchObject({ tp: 2, fp: 0, misses: 0, precision: 1, recall: 1 });
    expect(Math.abs(report.total.delay.max)).toBeLessThanOrEqual(1);
    expect(report.unmet).toEqual([]);
    expect(code).toBe(0);
  }, 120_000);

  it('the car left unlabelled: 1 FP, and --min-precision 1 fails with exit 1', async () => {
    const { code, report } = await edgeEval({ clips: [{ id: 'cut', video: clip, violations: [VAN] }] }, ['--min-precision', '1']);
    expect(report.total).toMatchObject({ tp: 1, fp: 1, misses: 0, precision: 0.5, recall: 1 });
    expect(report.unmet).toEqual(['precision 0.50 < --min-precision 1']);
    expect(code).toBe(1);
  }, 120_000);
});

/**
 * Every command that loads a config exits 78 (EX_CONFIG) on an invalid one, so systemd
 * (`RestartPreventExitStatus=78`) does not restart it into the same error; run against the built CLI.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EX_CONFIG } from '../common/config-file.js';
import { projectRoot, sharedDir } from '../common/paths.js';
import { tempDir } from '../test/fixtures.js';
import { CLI } from '../test/helpers/processes.js';

const run = promisify(execFile);
const dir = tempDir('sw-config-errors-');

/** Copies an example with one key misspelt and returns the file and the line of the typo. */
function withTypo(example: string, from: string, to: string): { file: string; line: number } {
  const text = readFileSync(join(projectRoot, 'examples', example), 'utf8')
    .replace(from, to)
    .replace('../../shared/', `${sharedDir}/`);
  expect(text).toContain(to);
  const file = join(dir, `typo-${example}`);
  writeFileSync(file, text);
  return { file, line: text.split('\n').findIndex((l) => l.includes(to)) + 1 };
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' }; // nothing may get as far as Redis
  return run('node', [CLI, ...args], { env, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

const edge = withTypo('edge-vtest.yaml', 'dwellSeconds: 30, evidence', 'dwelSeconds: 30, evidence');
const edgeMessage = new RegExp(`cameras\\[0\\]\\.zones\\[0\\]\\.dwelSeconds: unknown key \\(did you mean dwellSeconds\\?\\) \\(line ${edge.line}, column \\d+\\)`);

describe('a config with an unknown key: exit 78, naming the key, the closest known one and the line', () => {
  it('edge run', async () => {
    const r = await cli('edge', 'run', '--config', edge.file);
    expect(r.stderr).toMatch(edgeMessage);
    expect(r.code).toBe(EX_CONFIG);
  });

  it('edge replay', async () => {
    const r = await cli('edge', 'replay', '--config', edge.file, '--video', join(sharedDir, 'fixtures', 'vtest.avi'));
    expect(r.stderr).toMatch(edgeMessage);
    expect(r.code).toBe(EX_CONFIG);
  });

  it('edge eval, for the config and for the labels', async () => {
    const labels = join(dir, 'labels.yaml');
    writeFileSync(labels, `clips:\n  - id: vtest\n    video: ${join(sharedDir, 'fixtures', 'vtest.avi')}\n    violations: []\n`);
    const r = await cli('edge', 'eval', '--config', edge.file, '--labels', labels);
    expect(r.stderr).toMatch(edgeMessage);
    expect(r.code).toBe(EX_CONFIG);

    writeFileSync(labels, `clips:\n  - id: vtest\n    vidoe: x.mp4\n`);
    const bad = await cli('edge', 'eval', '--config', edge.file, '--labels', labels);
    expect(bad.stderr).toMatch(/clips\[0\]\.vidoe: unknown key \(did you mean video\?\) \(line 3, column 5\)/);
    expect(bad.code).toBe(EX_CONFIG);
  });

  it('edge doctor: the config check fails, and nothing else is tried', async () => {
    const r = await cli('edge', 'doctor', '--config', edge.file);
    expect(r.stdout).toMatch(/FAIL {2}config/);
    expect(r.stdout).toMatch(edgeMessage);
    expect(r.stdout).toMatch(/0 passed, 0 warnings, 1 failed/);
    expect(r.code).toBe(EX_CONFIG);
  });

  it('center', async () => {
    const center = withTypo('center.yaml', 'autoConfirm:', 'autoconfirm:');
    const r = await cli('center', '--config', center.file);
    expect(r.stderr).toMatch(new RegExp(`confirmation\\.autoconfirm: unknown key \\(did you mean autoConfirm\\?\\) \\(line ${center.line}, column 3\\)`));
    expect(r.code).toBe(EX_CONFIG);
  });

  it('a missing environment variable is a config error too', async () => {
    const file = join(dir, 'unset.yaml');
    const text = readFileSync(edge.file, 'utf8').replace('${MQTT_PASSWORD:-}', '${SW_TEST_NEVER_SET}');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('SW_TEST_NEVER_SET')) + 1;
    const r = await cli('edge', 'run', '--config', file);
    expect(r.stderr).toMatch(new RegExp(`mqtt\\.password: environment variable SW_TEST_NEVER_SET is not set and has no default \\(line ${line}, column \\d+\\)`));
    expect(r.code).toBe(EX_CONFIG);
  });

  it('other failures keep exit 1', async () => {
    const r = await cli('center', '--demo', '--config', join(projectRoot, 'examples', 'center.yaml'));
    expect(r.stderr).toMatch(/cannot reach Redis/);
    expect(r.code).toBe(1);
  });
});

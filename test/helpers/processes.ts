/** Child processes of the real CLI for end-to-end tests, and free ports for them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../common/paths.js';

export const CLI = join(projectRoot, 'dist', 'cli', 'main.js');

/** Env for a centre process run as in the centre image: without onnxruntime, sharp and the OCR models. */
export const AS_IN_CENTER_IMAGE = {
  NODE_OPTIONS: `--import=${pathToFileURL(join(projectRoot, 'dist', 'test', 'helpers', 'without-edge-packages.js')).href}`,
};

export interface Cli {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  stop(): Promise<number | null>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  const child = spawn('node', [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    child, exited, output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export { waitFor } from './wait.js';
export { freePort } from '../../cli/ports.js';

/** Runs a bench script of dist/bench in its own process, as deployed, and returns the JSON line it prints last. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../common/paths.js';

// As deployed (docker/edge.Dockerfile, the systemd unit): two malloc arenas, not one per thread.
export const ARENAS = process.env.MALLOC_ARENA_MAX ?? '2';

export function runScript<T>(script: string, args: string[]): T {
  const env = { ...process.env, MALLOC_ARENA_MAX: ARENAS };
  const out = execFileSync('node', [join(projectRoot, 'dist', 'bench', script), ...args], { encoding: 'utf8', maxBuffer: 1 << 20, env });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

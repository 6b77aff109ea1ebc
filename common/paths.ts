import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
}

/** The folder holding package.json, whether running from source or from dist/. */
export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** This build's version, from package.json. */
export const projectVersion = (): string => (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** `../shared` beside the project root: real models and footage on developer and CI machines. */
export const sharedDir = resolve(projectRoot, '..', 'shared');

/** Where fetched models live; STREETWATCH_CACHE overrides. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STREETWATCH_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'streetwatch');
}

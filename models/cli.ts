/** `streetwatch models list|fetch`: thin commander wrapper over manifest/resolve/fetch. */
import type { Command } from 'commander';
import { StreetWatchError } from '../common/errors.js';
import { fetchModel } from './fetch.js';
import { listManifestNames, listManifests } from './manifest.js';
import { withDownloadProgress } from './progress.js';
import { findModel } from './resolve.js';

interface CommonOptions {
  cacheDir?: string;
}

export function registerModelsCommands(program: Command): Command {
  const models = program.command('models').description('list and download the detector models');

  models
    .command('list')
    .description('show each known model and where a valid copy is installed')
    .option('--cache-dir <dir>', 'cache root (default: $STREETWATCH_CACHE or ~/.cache/streetwatch)')
    .action(async (opts: CommonOptions, cmd: Command) => {
      const out = writer(cmd);
      let manifests;
      try {
        manifests = listManifests();
      } catch (err) {
        fail(cmd, err);
      }
      for (const m of manifests) {
        let where: string;
        try {
          const found = await findModel(m, { cacheDir: opts.cacheDir });
          where = found ? `${found.source} ${found.path}` : 'not installed';
        } catch (err) {
          where = `invalid: ${(err as Error).message}`;
        }
        out(`${m.name}\t${m.output.format}\t${m.input.width}x${m.input.height}\t${where}\n`);
      }
    });

  models
    .command('fetch')
    .description('download models into the cache (all models when none is named), checking their sha256')
    .argument('[name...]', 'model names (see `models list`)')
    .option('--cache-dir <dir>', 'cache root (default: $STREETWATCH_CACHE or ~/.cache/streetwatch)')
    .option('--url <url>', 'download this one model from a mirror URL instead')
    .option('--force', 'download even if a valid copy is present')
    .action(async (names: string[], opts: CommonOptions & { url?: string; force?: boolean }, cmd: Command) => {
      const todo = names.length > 0 ? names : listManifestNames();
      if (opts.url !== undefined && todo.length !== 1) {
        cmd.error('error: --url applies to exactly one model; name it', { exitCode: 1, code: 'MODEL_URL_AMBIGUOUS' });
      }
      const out = writer(cmd);
      const failed: string[] = [];
      for (const name of todo) {
        try {
          const path = await withDownloadProgress(name, (onProgress) => fetchModel(name, { cacheDir: opts.cacheDir, url: opts.url, force: opts.force, onProgress }));
          out(`${name}\t${path}\n`);
        } catch (err) {
          if (todo.length === 1) fail(cmd, err);
          failed.push(name);
          cmd.configureOutput().writeErr?.(`error: ${(err as Error).message}\n`);
        }
      }
      if (failed.length > 0) cmd.error(`error: could not fetch ${failed.join(', ')}`, { exitCode: 1, code: 'MODEL_FETCH_FAILED' });
    });

  return models;
}

function writer(cmd: Command): (text: string) => void {
  const write = cmd.configureOutput().writeOut;
  return write ? (text) => write(text) : (text) => process.stdout.write(text);
}

/** Prints the message (no stack: these are expected, user-facing errors) and exits with 1. */
function fail(cmd: Command, err: unknown): never {
  const code = err instanceof StreetWatchError ? err.code : 'ERROR';
  cmd.error(`error: ${(err as Error).message}`, { exitCode: 1, code });
}

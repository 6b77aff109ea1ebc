#!/usr/bin/env node
import { ConfigError, EX_CONFIG } from '../common/config-file.js';
import { StreetWatchError } from '../common/errors.js';
import { buildProgram } from './program.js';

buildProgram().parseAsync(process.argv).catch((e: unknown) => {
  // Expected failures print their message only; anything else is a bug and keeps its stack.
  process.stderr.write(e instanceof StreetWatchError ? `streetwatch: ${e.message}\n` : `streetwatch: ${(e as Error)?.stack ?? String(e)}\n`);
  // A bad config fails the same way on every restart: 78 tells systemd not to try again.
  process.exit(e instanceof ConfigError ? EX_CONFIG : 1);
});

#!/usr/bin/env node
import { StreetWatchError } from '../common/errors.js';
import { buildProgram } from './program.js';

buildProgram().parseAsync(process.argv).catch((e: unknown) => {
  // Expected failures print their message only; anything else is a bug and keeps its stack.
  process.stderr.write(e instanceof StreetWatchError ? `streetwatch: ${e.message}\n` : `streetwatch: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

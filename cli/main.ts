#!/usr/bin/env node
import { Command } from 'commander';
import { StreetWatchError } from '../common/errors.js';
import { registerDeviceCommands } from '../center/devices/cli.js';
import { registerEdgeCommands } from '../edge/cli.js';
import { registerModelsCommands } from '../models/cli.js';
import { registerPlateCommands } from './plate.js';
import { registerCenterCommands } from '../center/cli.js';
import { registerDemoCommand } from './demo.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/paths.js';

const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };

const program = new Command()
  .name('streetwatch')
  .description('Camera-driven street enforcement: edge agent, models and command centre.')
  .version(pkg.version)
  .showHelpAfterError();

registerEdgeCommands(program);
registerModelsCommands(program);
registerPlateCommands(program);
registerDeviceCommands(program);
registerCenterCommands(program);
registerDemoCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  // Expected failures print their message only; anything else is a bug and keeps its stack.
  process.stderr.write(e instanceof StreetWatchError ? `streetwatch: ${e.message}\n` : `streetwatch: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

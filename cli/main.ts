#!/usr/bin/env node
import { Command } from 'commander';
import { StreetWatchError } from '../common/errors.js';
import { registerDeviceCommands } from '../broker/cli.js';
import { registerEdgeCommands } from '../edge/cli.js';
import { registerModelsCommands } from '../models/cli.js';
import { registerPlateCommands } from '../detector/plate/cli.js';
import { registerCenterCommands } from '../ticketing/cli.js';
import { registerDemoCommand } from './demo.js';
import { projectVersion } from '../common/paths.js';

const program = new Command()
  .name('streetwatch')
  .description('Camera-driven street enforcement: edge agent, models and command centre.')
  .version(projectVersion())
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

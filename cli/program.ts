/**
 * The `streetwatch` command tree, built without running it: cli/main.ts parses the process's
 * arguments with it, and the CLI reference (docs/cli.md) is generated from it.
 */
import { Command } from 'commander';
import { registerDeviceCommands } from '../center/devices/cli.js';
import { registerUserCommands } from '../center/users/cli.js';
import { projectVersion } from '../common/paths.js';
import { registerEdgeCommands } from '../edge/cli.js';
import { registerPlateCommands } from './plate.js';
import { registerModelsCommands } from '../models/cli.js';
import { registerCenterCommands } from '../center/cli.js';
import { registerDemoCommand } from './demo.js';

/** `env` feeds the defaults some options take from the environment (the device commands' --prefix). */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command()
    .name('streetwatch')
    .description('Camera-driven street enforcement: edge agent, models and command centre.')
    .version(projectVersion())
    .showHelpAfterError();

  registerEdgeCommands(program);
  registerModelsCommands(program);
  registerPlateCommands(program);
  registerDeviceCommands(program, { env });
  registerUserCommands(program, { env });
  registerCenterCommands(program);
  registerDemoCommand(program);
  return program;
}

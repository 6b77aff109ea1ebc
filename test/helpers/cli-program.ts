import { Command } from 'commander';

type Register = (program: Command, io: { stdout: { write(s: string): unknown }; env: NodeJS.ProcessEnv }) => void;

/** Runs `streetwatch <args>` through one command group registered in-process; returns what it printed. */
export async function runCommands(register: Register, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  let out = '';
  const program = new Command().exitOverride();
  program.configureOutput({ writeErr: () => undefined, writeOut: (s) => (out += s) });
  register(program, { stdout: { write: (s: string) => (out += s) }, env });
  await program.parseAsync(['node', 'streetwatch', ...args]);
  return out;
}

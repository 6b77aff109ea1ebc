/**
 * `streetwatch user add|list|disable|enable|reset`: manage the centre's user accounts. Talks to
 * Redis directly (REDIS_URL), so the first admin can be created before the centre ever starts.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { StreetWatchError } from '../../common/errors.js';
import { textTable } from '../../common/text-table.js';
import { CLI_ACTOR } from '../audit/audit-log.js';
import { role as roleSchema } from '../config.js';
import { prefixOption, withRedis } from '../redis-cli-options.js';
import { Accounts } from './accounts.js';
import { newUserSchema, type UserInfo } from './user.js';

export interface UserCliIo {
  stdout?: { write(chunk: string): unknown };
  /** Where REDIS_URL and --password-env variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface AddFlags {
  role: string;
  displayName?: string;
  team?: string;
  officerId?: string;
  passwordFile?: string;
  passwordEnv?: string;
  json?: boolean;
  prefix: string;
}

export function registerUserCommands(program: Command, io: UserCliIo = {}): void {
  const out = (text: string) => (io.stdout ?? process.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
  const env = io.env ?? process.env;
  const withAccounts = <T>(prefix: string, fn: (a: Accounts) => Promise<T>): Promise<T> => withRedis(env, prefix, (redis) => fn(new Accounts(redis, prefix)));
  const prefixFlag = prefixOption(env);

  const user = program.command('user').description("The centre's user accounts (in Redis): console and API sign-in.");

  user
    .command('add')
    .description('Create a user. Prints a one-time password (shown once; changed at first sign-in) unless one is given with --password-file or --password-env.')
    .argument('<name>', 'sign-in name (1-64 of A-Z a-z 0-9 _ . -)')
    .requiredOption('--role <role>', `one of ${roleSchema.options.join(', ')}`)
    .option('--display-name <text>', 'what the console shows (default: the name)')
    .option('--team <teamId>', 'the team the user belongs to')
    .option('--officer-id <id>', "officers: their id in the centre config's teams[].officers")
    .option('--password-file <file>', 'read the password from this file (first line), for automation')
    .option('--password-env <VAR>', 'read the password from this environment variable, for automation')
    .option('--json', 'print {"user", "oneTimePassword"?} as JSON')
    .option(...prefixFlag)
    .action(async (name: string, o: AddFlags) => {
      const parsed = newUserSchema.safeParse({ name, role: o.role, displayName: o.displayName, team: o.team, officerId: o.officerId });
      if (!parsed.success) {
        const flag: Record<string, string> = { name: '<name>', role: '--role', displayName: '--display-name', team: '--team', officerId: '--officer-id' };
        throw new StreetWatchError('CLI_USAGE', parsed.error.issues.map((i) => `${flag[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; '));
      }
      const password = givenPassword(o, env);
      const created = await withAccounts(o.prefix, (a) => a.create(parsed.data, CLI_ACTOR, password));
      if (o.json) out(JSON.stringify(created));
      else if (created.oneTimePassword) out(describeOneTime(created.user, created.oneTimePassword, 'Created'));
      else out(`Created user ${created.user.name} (${created.user.role}) with the given password.`);
    });

  user
    .command('list')
    .description('List the users.')
    .option('--json', 'print a JSON array')
    .option(...prefixFlag)
    .action(async (o: { json?: boolean; prefix: string }) => {
      const users = await withAccounts(o.prefix, (a) => a.store.list());
      out(o.json ? JSON.stringify(users) : formatTable(users));
    });

  user
    .command('disable')
    .description('Disable a user: signed out everywhere at once, their API tokens stop working, and sign-in is refused.')
    .argument('<name>', 'the user')
    .option(...prefixFlag)
    .action(async (name: string, o: { prefix: string }) => {
      await withAccounts(o.prefix, (a) => a.setDisabled(name, true, CLI_ACTOR));
      out(`user ${name} disabled and signed out everywhere`);
    });

  user
    .command('enable')
    .description('Enable a disabled user again.')
    .argument('<name>', 'the user')
    .option(...prefixFlag)
    .action(async (name: string, o: { prefix: string }) => {
      await withAccounts(o.prefix, (a) => a.setDisabled(name, false, CLI_ACTOR));
      out(`user ${name} enabled`);
    });

  user
    .command('reset')
    .description("Replace a user's password with a one-time password (shown once); they are signed out everywhere.")
    .argument('<name>', 'the user')
    .option('--json', 'print {"name", "oneTimePassword"} as JSON')
    .option(...prefixFlag)
    .action(async (name: string, o: { json?: boolean; prefix: string }) => {
      const { pw, info } = await withAccounts(o.prefix, async (a) => ({ pw: await a.reset(name, CLI_ACTOR), info: await a.info(name) }));
      out(o.json ? JSON.stringify({ name, oneTimePassword: pw }) : describeOneTime(info, pw, 'Reset'));
    });
}

function givenPassword(o: AddFlags, env: NodeJS.ProcessEnv): string | undefined {
  if (o.passwordFile && o.passwordEnv) throw new StreetWatchError('CLI_USAGE', 'give --password-file or --password-env, not both');
  if (o.passwordFile) {
    let text: string;
    try {
      text = readFileSync(o.passwordFile, 'utf8');
    } catch (err) {
      throw new StreetWatchError('CLI_USAGE', `--password-file: cannot read ${o.passwordFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return text.split(/\r?\n/)[0];
  }
  if (o.passwordEnv) {
    const v = env[o.passwordEnv];
    if (!v) throw new StreetWatchError('CLI_USAGE', `--password-env: ${o.passwordEnv} is not set`);
    return v;
  }
  return undefined;
}

function describeOneTime(u: UserInfo, pw: string, what: 'Created' | 'Reset'): string {
  return [
    `${what} user ${u.name} (${u.role}). The one-time password is shown this once; it cannot be read back.`,
    '',
    `  one-time password: ${pw}`,
    '',
    'Sign in to the console with it; it must be changed at the first sign-in.',
  ].join('\n');
}

function formatTable(users: UserInfo[]): string {
  if (users.length === 0) return 'no users (add one with `streetwatch user add <name> --role admin`)';
  const rows = [
    ['NAME', 'ROLE', 'TEAM', 'STATE', 'CREATED'],
    ...users.map((u) => [u.name, u.role, u.team ?? '-', u.disabledAt ? `disabled ${u.disabledAt}` : u.mustChangePassword ? 'one-time password' : 'active', u.createdAt]),
  ];
  return textTable(rows);
}

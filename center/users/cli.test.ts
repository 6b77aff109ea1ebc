import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommands } from '../../test/helpers/cli-program.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../../broker/test-support.js';
import { tempDir } from '../../test/fixtures.js';
import { readAudit } from '../audit/audit-log.js';
import { Accounts } from './accounts.js';
import { registerUserCommands } from './cli.js';

const prefix = testPrefix();
let redis: Redis;
let accounts: Accounts;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  accounts = new Accounts(redis, prefix);
});

afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

function run(args: string[], env: NodeJS.ProcessEnv = { REDIS_URL }): Promise<string> {
  return runCommands(registerUserCommands, [...args, '--prefix', prefix], env);
}

describe('streetwatch user', () => {
  it('add prints a one-time password once; it signs in, must be changed, and only a scrypt hash is stored', async () => {
    const out = await run(['user', 'add', 'admin', '--role', 'admin']);
    const pw = /one-time password: (\S+)/.exec(out)?.[1];
    expect(pw).toMatch(/^[\w-]{24}$/);
    expect(out).toContain('shown this once');
    const stored = await redis.hgetall(`${prefix}:user:admin`);
    expect(stored.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(JSON.stringify(stored)).not.toContain(pw);
    const user = await accounts.verify('admin', pw!);
    expect(user).toMatchObject({ name: 'admin', role: 'admin', mustChangePassword: true, createdBy: 'cli' });
    expect(await accounts.verify('admin', `${pw}x`)).toBeNull();
    expect(await accounts.verify('nobody', pw!)).toBeNull();
  });

  it('two users with one password get different salts', async () => {
    const dir = tempDir('sw-user-cli-');
    writeFileSync(join(dir, 'pw'), 'correct horse battery staple\n');
    await run(['user', 'add', 'olga', '--role', 'operator', '--display-name', 'Olga K', '--team', 'north', '--password-file', join(dir, 'pw')]);
    const out = await run(['user', 'add', 'oleg', '--role', 'supervisor', '--password-env', 'PW', '--json'], { REDIS_URL, PW: 'correct horse battery staple' });
    expect(JSON.parse(out)).toMatchObject({ user: { name: 'oleg', role: 'supervisor', mustChangePassword: false } });
    expect(JSON.parse(out).oneTimePassword).toBeUndefined();
    const [a, b] = await Promise.all([redis.hget(`${prefix}:user:olga`, 'passwordHash'), redis.hget(`${prefix}:user:oleg`, 'passwordHash')]);
    expect(a).not.toBe(b);
    expect(await accounts.verify('olga', 'correct horse battery staple')).toMatchObject({ displayName: 'Olga K', team: 'north', mustChangePassword: false });
    expect(await accounts.verify('oleg', 'correct horse battery staple')).toMatchObject({ role: 'supervisor' });
  });

  it('refuses bad input, naming what is wrong', async () => {
    await expect(run(['user', 'add', 'admin', '--role', 'admin'])).rejects.toMatchObject({ code: 'USER_EXISTS' });
    await expect(run(['user', 'add', 'x/y', '--role', 'admin'])).rejects.toThrow(/<name>: may use letters/);
    await expect(run(['user', 'add', 'bob', '--role', 'king'])).rejects.toThrow(/--role: .*operator/);
    await expect(run(['user', 'add', 'nick', '--role', 'officer'])).rejects.toThrow(/--officer-id: an officer needs officerId/);
    await expect(run(['user', 'add', 'bob', '--role', 'operator', '--password-env', 'NOPE'])).rejects.toThrow(/NOPE is not set/);
    await expect(run(['user', 'add', 'bob', '--role', 'operator', '--password-env', 'PW'], { REDIS_URL, PW: 'short' })).rejects.toMatchObject({ code: 'PASSWORD_POLICY' });
    await expect(run(['user', 'add', 'bob', '--role', 'operator', '--password-file', '/nonexistent/pw'])).rejects.toThrow(/cannot read \/nonexistent\/pw \(ENOENT\)/);
    expect(await accounts.store.get('bob')).toBeNull();
    await expect(run(['user', 'disable', 'ghost'])).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it('disable refuses sign-in and raises the generation; enable lets them back; list shows the state', async () => {
    const before = (await accounts.store.get('olga'))!.generation;
    expect(await run(['user', 'disable', 'olga'])).toContain('disabled');
    expect(await accounts.verify('olga', 'correct horse battery staple')).toBeNull();
    expect((await accounts.store.get('olga'))!.generation).toBe(before + 1);
    const table = await run(['user', 'list']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+ROLE\s+TEAM\s+STATE\s+CREATED$/);
    expect(table).toMatch(/olga\s+operator\s+north\s+disabled 20/);
    expect(table).toMatch(/admin\s+admin\s+-\s+one-time password/);
    await run(['user', 'enable', 'olga']);
    expect(await accounts.verify('olga', 'correct horse battery staple')).not.toBeNull();
    const list = JSON.parse(await run(['user', 'list', '--json'])) as Array<Record<string, unknown>>;
    expect(list.map((u) => u.name)).toEqual(['admin', 'oleg', 'olga']);
    expect(JSON.stringify(list)).not.toContain('scrypt');
  });

  it('reset gives a one-time password: the old one stops working; the audit names the CLI', async () => {
    const { oneTimePassword } = JSON.parse(await run(['user', 'reset', 'olga', '--json'])) as { oneTimePassword: string };
    expect(await accounts.verify('olga', 'correct horse battery staple')).toBeNull();
    expect(await accounts.verify('olga', oneTimePassword)).toMatchObject({ mustChangePassword: true });
    const audit = await readAudit(redis, prefix, 20);
    expect(audit.filter((l) => l.subject === 'olga').map((l) => [l.action, l.by])).toEqual([
      ['user.password-reset', 'cli'], ['user.enabled', 'cli'], ['user.disabled', 'cli'], ['user.added', 'cli'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(oneTimePassword);
  });

  it('a user changes their own password with the current one', async () => {
    const { oneTimePassword } = JSON.parse(await run(['user', 'reset', 'oleg', '--json'])) as { oneTimePassword: string };
    await expect(accounts.changeOwn('oleg', 'wrong password!!', 'a new long password')).rejects.toMatchObject({ code: 'PASSWORD_WRONG' });
    await expect(accounts.changeOwn('oleg', oneTimePassword, 'oleg-password-1')).rejects.toMatchObject({ code: 'PASSWORD_POLICY' });
    await accounts.changeOwn('oleg', oneTimePassword, 'a new long password');
    expect(await accounts.verify('oleg', 'a new long password')).toMatchObject({ mustChangePassword: false });
    expect((await readAudit(redis, prefix, 1))[0]).toMatchObject({ action: 'user.password-changed', by: 'oleg', subject: 'oleg' });
  });
});

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommands } from '../../test/helpers/cli-program.js';
import { StreetWatchError } from '../../common/errors.js';
import { connectRedis } from '../../common/redis.js';
import { registerDeviceCommands } from './cli.js';
import { readAudit } from '../audit/audit-log.js';
import { DeviceRegistry } from '../../broker/device-registry.js';
import { dropPrefix, REDIS_URL, testPrefix } from '../../broker/test-support.js';

const prefix = testPrefix();
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

/** Runs `streetwatch <args>` against the device commands; returns what it printed. */
function run(args: string[], env: NodeJS.ProcessEnv = { REDIS_URL }): Promise<string> {
  return runCommands(registerDeviceCommands, [...args], env);
}

describe('streetwatch device', () => {
  it('add --json prints the credentials once, and they verify', async () => {
    const out = await run(['device', 'add', 'pole-1', '--json', '--prefix', prefix]);
    const creds = JSON.parse(out) as Record<string, string>;
    expect(Object.keys(creds)).toEqual(['deviceId', 'username', 'password']);
    expect(creds.username).toBe('pole-1');
    expect(await new DeviceRegistry(redis, prefix).verify('pole-1', creds.password)).not.toBeNull();
  });

  it('add prints human text with the password and an edge config hint', async () => {
    const out = await run(['device', 'add', 'pole-2', '--prefix', prefix, '--broker-url', 'mqtts://centre.example:8883']);
    const password = /password: (\S+)/.exec(out)?.[1];
    expect(password).toMatch(/^[\w-]{43}$/);
    expect(out).toContain('shown this once');
    expect(out).toContain('url: mqtts://centre.example:8883');
    expect(out).toContain('username: pole-2');
  });

  it('add refuses an existing device; --rotate issues new credentials', async () => {
    await expect(run(['device', 'add', 'pole-1', '--prefix', prefix])).rejects.toMatchObject({ code: 'DEVICE_EXISTS' });
    const creds = JSON.parse(await run(['device', 'add', 'pole-1', '--rotate', '--json', '--prefix', prefix])) as { password: string };
    expect(await new DeviceRegistry(redis, prefix).verify('pole-1', creds.password)).not.toBeNull();
    // Each change is in the centre's audit log, named as the command line's; the refused add is not.
    const audit = (await readAudit(redis, prefix, 100)).filter((l) => l.subject === 'pole-1');
    expect(audit.map((l) => [l.action, l.by])).toEqual([['device.rotated', 'cli'], ['device.added', 'cli']]);
  });

  it('add refuses invalid and reserved ids', async () => {
    await expect(run(['device', 'add', 'a/b', '--prefix', prefix])).rejects.toMatchObject({ code: 'DEVICE_INVALID_ID' });
    await expect(run(['device', 'add', 'teams', '--prefix', prefix])).rejects.toMatchObject({ code: 'DEVICE_RESERVED_ID' });
  });

  it("add refuses the centre's own account name and client-id prefixes, naming the name", async () => {
    await expect(run(['device', 'add', 'streetwatch-center', '--prefix', prefix])).rejects.toMatchObject({
      code: 'DEVICE_RESERVED_ID',
      message: `"streetwatch-center" is reserved: it is the centre's default MQTT account name; choose another device id`,
    });
    await expect(run(['device', 'add', 'streetwatch-ingest-box', '--prefix', prefix])).rejects.toMatchObject({
      code: 'DEVICE_RESERVED_ID', message: expect.stringContaining('"streetwatch-ingest-box" is reserved: it starts with streetwatch-ingest-'),
    });
    expect(await new DeviceRegistry(redis, prefix).get('streetwatch-center')).toBeNull();
  });

  it('revoke, then list shows the state (text and JSON)', async () => {
    expect(await run(['device', 'revoke', 'pole-2', '--prefix', prefix])).toMatch(/^device pole-2 revoked at \d{4}-/);
    await expect(run(['device', 'revoke', 'nobody', '--prefix', prefix])).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    const list = JSON.parse(await run(['device', 'list', '--json', '--prefix', prefix])) as Array<{ deviceId: string; revokedAt: string | null }>;
    expect(list.map((d) => [d.deviceId, d.revokedAt !== null])).toEqual([['pole-1', false], ['pole-2', true]]);
    const text = await run(['device', 'list', '--prefix', prefix]);
    expect(text.split('\n')[0]).toMatch(/^DEVICE\s+STATE\s+CREATED\s+LAST SEEN$/);
    expect(text).toMatch(/pole-1\s+active/);
    expect(text).toMatch(/pole-2\s+revoked 20/);
    expect(await run(['device', 'list', '--prefix', `${prefix.slice(0, -1)}-empty}`])).toMatch(/no devices registered/);
  });

  it('refuses a prefix that is not a hash tag', async () => {
    await expect(run(['device', 'list', '--prefix', 'sw'])).rejects.toMatchObject({ code: 'CLI_USAGE' });
  });

  it('fails at once, saying how to start Redis, when Redis is unreachable', async () => {
    const t = Date.now();
    const err = (await run(['device', 'list', '--prefix', prefix], { REDIS_URL: 'redis://:secret@127.0.0.1:1' }).catch((e: unknown) => e)) as StreetWatchError;
    expect(err).toBeInstanceOf(StreetWatchError);
    expect(err.code).toBe('REDIS_UNAVAILABLE');
    expect(err.message).toContain('redis-server --daemonize yes');
    expect(err.message).not.toContain('secret');
    expect(Date.now() - t).toBeLessThan(2500);
  });

  it('gives up within ~2 s on a host that never answers', async () => {
    const t = Date.now();
    // 10.255.255.1: unroutable on most networks, so the TCP connect hangs until our timeout
    await expect(connectRedis('redis://10.255.255.1:6379')).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect(Date.now() - t).toBeLessThan(4000);
  });
});

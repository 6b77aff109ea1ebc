import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../test/helpers/processes.js';
import { parseRoles } from './cli.js';

const run = promisify(execFile);

describe('streetwatch center', () => {
  it('fails at once, saying how to start Redis, when Redis cannot be reached', async () => {
    const t0 = Date.now();
    const err = (await run('node', [CLI, 'center', '--mqtt-port', '0', '--http-port', '0'], { env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' } }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(err.stderr).toMatch(/redis-server --daemonize yes/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('names a bad flag value and exits 78 (EX_CONFIG): a restart would fail the same way', async () => {
    const err = (await run('node', [CLI, 'center', '--http-port', 'eighty']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(78);
    expect(err.stderr).toMatch(/--http-port: "eighty" is not a port number/);
    expect(() => parseRoles('ingest,mailer')).toThrow(/unknown role mailer/);
    expect(parseRoles('api, worker')).toEqual(['api', 'worker']);
  });
});

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EX_CONFIG } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { CLI } from '../test/helpers/processes.js';
import { configFileOf, DEMO_CONFIG, demoFromEnv, parseRoles } from './cli.js';

const run = promisify(execFile);
/** Nothing here may get as far as Redis, except where the test says so. */
const NO_REDIS = { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', STREETWATCH_DEMO: '' };
type Failure = { code: number; stdout: string; stderr: string };
const center = (args: string[], env: NodeJS.ProcessEnv = NO_REDIS) => run('node', [CLI, 'center', ...args], { env, timeout: 30_000 }).catch((e: unknown) => e) as Promise<Failure>;

describe('streetwatch center', () => {
  it('fails at once, saying how to start Redis, when Redis cannot be reached', async () => {
    const t0 = Date.now();
    const err = await center(['--demo', '--mqtt-port', '0', '--http-port', '0']);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(err.stderr).toMatch(/redis-server --daemonize yes/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('names a bad flag value and exits 78 (EX_CONFIG): a restart would fail the same way', async () => {
    const err = await center(['--demo', '--http-port', 'eighty']);
    expect(err.code).toBe(EX_CONFIG);
    expect(err.stderr).toMatch(/--http-port: "eighty" is not a port number/);
    expect(() => parseRoles('ingest,mailer')).toThrow(/unknown role mailer/);
    expect(parseRoles('api, worker')).toEqual(['api', 'worker']);
  });
});

describe('secure defaults: no public example secrets outside the demo', () => {
  it('without --config and --demo, refuses and says what to pass (exit 78)', async () => {
    const err = await center([]);
    expect(err.code).toBe(EX_CONFIG);
    expect(err.stderr).toMatch(/no config: pass --config <file> .* or --demo/);
    expect(configFileOf({}, true)).toBe(DEMO_CONFIG);
    expect(configFileOf({ config: 'x.yaml' }, true)).toBe(join(process.cwd(), 'x.yaml'));
  });

  it('refuses the example config\'s public tokens and link secret (exit 78), before it connects to anything', async () => {
    const err = await center(['--config', join(projectRoot, 'examples', 'center.yaml')]);
    expect(err.code).toBe(EX_CONFIG);
    expect(err.stderr).toContain('refusing to start with public example secrets');
    expect(err.stderr).toContain('http.linkSecret: set http.linkSecret (e.g. linkSecret: "${LINK_SECRET}") to a random 32+ character value (`openssl rand -hex 32`)');
    expect(err.stderr).toMatch(/users\[0\]\.token: give operator a token of its own/);
    expect(err.stderr).not.toMatch(/cannot reach Redis/);
  });

  it('starts with the example config once its secrets come from the environment (here: as far as Redis)', async () => {
    const env = { ...NO_REDIS, LINK_SECRET: 'a'.repeat(8) + 'f00d'.repeat(8), OPERATOR_TOKEN: 'op-9f8e7d6c5b4a3210', OFFICER_TOKEN: 'of-9f8e7d6c5b4a3210', ADMIN_TOKEN: 'ad-9f8e7d6c5b4a3210', TEAM_WEBHOOK_SECRET: 'wh-9f8e7d6c5b4a3210' };
    const err = await center(['--config', join(projectRoot, 'examples', 'center.yaml')], env);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/cannot reach Redis/);
  });

  it('--demo, or STREETWATCH_DEMO=1, takes them with a warning; another STREETWATCH_DEMO value is a config error', async () => {
    for (const [args, env] of [[['--demo'], NO_REDIS], [[], { ...NO_REDIS, STREETWATCH_DEMO: '1' }]] as const) {
      const err = await center([...args], env);
      expect(err.code).toBe(1);
      expect(err.stderr).toMatch(/cannot reach Redis/);
      expect(err.stderr).toMatch(/"msg":"DEMO MODE: this centre runs with public example secrets/);
    }
    expect(demoFromEnv({ STREETWATCH_DEMO: '0' })).toBe(false);
    const bad = await center([], { ...NO_REDIS, STREETWATCH_DEMO: 'yes' });
    expect(bad.code).toBe(EX_CONFIG);
    expect(bad.stderr).toMatch(/STREETWATCH_DEMO: "yes" is neither 1/);
  });
});

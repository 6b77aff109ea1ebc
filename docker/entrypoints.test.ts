/**
 * The images' scripts, run outside Docker against real things: the real built CLI (dist/), real
 * TCP listeners on free ports, a real HTTP server for the clip download, the real Redis for device
 * registration, temp dirs for volumes. Everything is spawned asynchronously, because the servers
 * the scripts talk to live in this process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { freePort } from '../cli/ports.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
import { CLI } from '../test/helpers/processes.js';
import { tempDir, YOLOX_NANO } from '../test/fixtures.js';

const here = join(projectRoot, 'docker');
const VERSION = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with exactly `env` (plus PATH and HOME), asynchronously. */
function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
/** Sources a script and runs `snippet` in the same bash, for its functions. */
const source = (script: string, snippet: string, env: Record<string, string> = {}) => run('bash', ['-c', `. ${join(here, script)}; ${snippet}`], env);

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));
function listen(port = 0): Promise<number> {
  return new Promise((ok) => {
    const srv = createTcpServer((sock) => sock.end()).listen(port, '127.0.0.1', () => ok((srv.address() as { port: number }).port));
    servers.push(srv);
  });
}

const haveShellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0;
it.skipIf(!haveShellcheck)(`the scripts are shellcheck-clean${haveShellcheck ? '' : ' (skipped: shellcheck is not installed; apt-get install shellcheck)'}`, async () => {
  const scripts = readdirSync(here).filter((f) => f.endsWith('.sh')).map((f) => join(here, f));
  expect(scripts.length).toBe(4);
  const r = await run('shellcheck', ['-x', ...scripts]);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('entrypoint-lib.sh file_env', () => {
  const dir = tempDir('sw-entry-');
  const secret = join(dir, 'secret');
  writeFileSync(secret, 's3cret value\n');

  it('sets and exports NAME from NAME_FILE, without the trailing newline, and unsets NAME_FILE', async () => {
    const r = await source('entrypoint-lib.sh', 'file_env PW; printf "%s|" "$PW" "${PW_FILE-unset}"; bash -c \'printf "%s" "$PW"\'', { PW_FILE: secret });
    expect(r).toMatchObject({ code: 0, stdout: 's3cret value|unset|s3cret value' });
  });

  it('leaves NAME alone without NAME_FILE', async () => {
    expect((await source('entrypoint-lib.sh', 'file_env PW; printf "%s" "$PW"', { PW: 'plain' })).stdout).toBe('plain');
  });

  it('refuses both NAME and NAME_FILE, and an unreadable file', async () => {
    const both = await source('entrypoint-lib.sh', 'file_env PW', { PW: 'x', PW_FILE: secret });
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('both PW and PW_FILE are set');
    const missing = await source('entrypoint-lib.sh', 'file_env PW', { PW_FILE: join(dir, 'nope') });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('center-entrypoint.sh', () => {
  const script = join(here, 'center-entrypoint.sh');

  it.each([
    ['redis://127.0.0.1:6379', '127.0.0.1 6379'],
    ['redis://redis', 'redis 6379'],
    ['redis://:p@ss@redis:6380/2', 'redis 6380'],
    ['rediss://user:pw@cache.example.org:6390?tls=1', 'cache.example.org 6390'],
    ['redis://[::1]:7000/0', '::1 7000'],
    ['redis://[fe80::1]', 'fe80::1 6379'],
  ])('redis_address %s → %s', async (url, address) => {
    expect((await source('center-entrypoint.sh', `redis_address '${url}'`)).stdout.trim()).toBe(address);
  });

  it('waits until Redis\'s port accepts connections, then runs the real CLI', async () => {
    const port = await freePort();
    const started = run(script, ['--version'], { REDIS_URL: `redis://:secret@127.0.0.1:${port}/0`, WAIT_TIMEOUT: '20' });
    await new Promise((r) => setTimeout(r, 1500));
    await listen(port);
    const r = await started;
    expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('reads REDIS_URL from REDIS_URL_FILE', async () => {
    const port = await listen();
    const file = join(tempDir('sw-entry-'), 'redis-url');
    writeFileSync(file, `redis://127.0.0.1:${port}\n`);
    expect(await run(script, ['--version'], { REDIS_URL_FILE: file })).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('gives up after WAIT_TIMEOUT without starting the CLI', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await run(script, ['--version'], { REDIS_URL: `redis://127.0.0.1:${port}`, WAIT_TIMEOUT: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`127.0.0.1:${port} did not accept connections within 1 s`);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('does not wait with WAIT_TIMEOUT=0 or without REDIS_URL', async () => {
    const port = await freePort();
    expect(await run(script, ['--version'], { REDIS_URL: `redis://127.0.0.1:${port}`, WAIT_TIMEOUT: '0' })).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(await run(script, ['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });
});

describe('edge-entrypoint.sh', () => {
  const script = join(here, 'edge-entrypoint.sh');
  // A cache volume that already holds the model (a later start): nothing is downloaded.
  const cache = tempDir('sw-entry-cache-');
  mkdirSync(join(cache, 'models'));
  copyFileSync(YOLOX_NANO, join(cache, 'models', 'yolox_nano.onnx'));

  it('checks the models in the cache, then runs the agent command', async () => {
    const r = await run(script, ['edge', '--help'], { STREETWATCH_CACHE: cache, STREETWATCH_MODELS: 'yolox_nano' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`yolox_nano\t${join(cache, 'models', 'yolox_nano.onnx')}`);
    expect(r.stdout).toContain('Usage: streetwatch edge');
  });

  it('does not start the agent when a model cannot be had', async () => {
    const r = await run(script, ['edge', '--help'], { STREETWATCH_CACHE: cache, STREETWATCH_MODELS: 'yolox_nano no_such_model' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no_such_model');
    expect(r.stdout).toBe('');
  });

  it('skips the models for other commands', async () => {
    const r = await run(script, ['models', 'list'], { STREETWATCH_CACHE: cache, STREETWATCH_MODELS: 'no_such_model' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`yolox_nano\tyolox\t416x416\tcache ${join(cache, 'models', 'yolox_nano.onnx')}`);
  });

  it('refuses MQTT_PASSWORD and MQTT_PASSWORD_FILE together', async () => {
    const file = join(tempDir('sw-entry-'), 'pw');
    writeFileSync(file, 'x');
    const r = await run(script, ['--version'], { MQTT_PASSWORD: 'y', MQTT_PASSWORD_FILE: file });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});

describe('register-device.sh', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisUp = spawnSync('node', ['-e', `require('net').connect(new URL(${JSON.stringify(redisUrl)}).port || 6379, new URL(${JSON.stringify(redisUrl)}).hostname).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`]).status === 0;
  const prefix = `{swtest-register-${randomBytes(4).toString('hex')}}`;
  afterAll(async () => {
    if (!redisUp) return;
    const redis = new Redis(redisUrl);
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it.skipIf(!redisUp)(`registers the device once, keeps its password, issues a new one when the file is lost${redisUp ? '' : ' (skipped: no Redis)'}`, async () => {
    const file = join(tempDir('sw-entry-'), 'credentials', 'mqtt-password');
    const env = { REDIS_URL: redisUrl, STREETWATCH_REDIS_PREFIX: prefix, DEVICE_ID: 'pole-0001', PASSWORD_FILE: file };
    const first = await run(join(here, 'register-device.sh'), [], env);
    expect(first.stderr).toContain('pole-0001 registered');
    expect(first.code).toBe(0);
    const password = readFileSync(file, 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await run(join(here, 'register-device.sh'), [], env);
    expect(again).toMatchObject({ code: 0, stderr: expect.stringContaining('pole-0001 is registered') });
    expect(readFileSync(file, 'utf8')).toBe(password);
    rmSync(file);
    const lost = await run(join(here, 'register-device.sh'), [], env);
    expect(lost.stderr).toContain('pole-0001 has a new password');
    expect(readFileSync(file, 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(file, 'utf8')).not.toBe(password);
    const list = await run('node', [CLI, 'device', 'list', '--json'], { REDIS_URL: redisUrl, STREETWATCH_REDIS_PREFIX: prefix });
    expect((JSON.parse(list.stdout) as { deviceId: string }[]).map((d) => d.deviceId)).toEqual(['pole-0001']);
  });
});

describe('fetch-clip.mjs', () => {
  const clip = randomBytes(256 * 1024);
  const sha = createHash('sha256').update(clip).digest('hex');
  let requests = 0;
  const http = createHttpServer((req, res) => {
    requests++;
    if (req.url === '/vtest.avi') res.writeHead(200, { 'Content-Type': 'video/x-msvideo' }).end(clip);
    else res.writeHead(404).end();
  });
  const base = new Promise<string>((ok) => http.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(http.address() as { port: number }).port}`)));
  afterAll(() => http.close());
  const fetchClip = (env: Record<string, string>) => run('node', [join(here, 'fetch-clip.mjs')], env);
  const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.part'));

  it('downloads the clip once, checks its sha256, and keeps it for the next start', async () => {
    const dir = tempDir('sw-clip-');
    const path = join(dir, 'clips', 'vtest.avi');
    const env = { CLIP_PATH: path, CLIP_URL: `${await base}/vtest.avi`, CLIP_SHA256: sha };
    const before = requests;
    expect((await fetchClip(env)).code).toBe(0);
    expect(readFileSync(path).equals(clip)).toBe(true);
    expect((await fetchClip(env)).stderr).toContain('is present');
    expect(requests - before).toBe(1);
  });

  it('replaces a copy whose sha256 is wrong', async () => {
    const dir = tempDir('sw-clip-');
    const path = join(dir, 'vtest.avi');
    writeFileSync(path, 'not the clip');
    expect((await fetchClip({ CLIP_PATH: path, CLIP_URL: `${await base}/vtest.avi`, CLIP_SHA256: sha })).code).toBe(0);
    expect(readFileSync(path).equals(clip)).toBe(true);
  });

  it('leaves nothing behind when the download does not match, or fails', async () => {
    const dir = tempDir('sw-clip-');
    const path = join(dir, 'vtest.avi');
    const wrong = await fetchClip({ CLIP_PATH: path, CLIP_URL: `${await base}/vtest.avi`, CLIP_SHA256: '0'.repeat(64) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`sha256 ${sha}, expected ${'0'.repeat(64)}`);
    const missing = await fetchClip({ CLIP_PATH: path, CLIP_URL: `${await base}/nope.avi` });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('HTTP 404');
    expect(existsSync(path)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('needs a URL when the clip is missing', async () => {
    const r = await fetchClip({ CLIP_PATH: join(tempDir('sw-clip-'), 'vtest.avi') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CLIP_URL is not set');
  });
});

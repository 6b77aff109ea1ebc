/**
 * Acceptance of the demo: `npm run demo` starts centre, console and a box replaying the clip in real
 * time; within about a minute a work order appears in the API and the console answers; a taken port
 * stops it with a message naming the port and the flag; Ctrl-C stops everything, ffmpeg included.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../common/paths.js';
import { makeClip, tempDir } from './fixtures.js';
import { freePort, waitFor } from './helpers/processes.js';

const OPERATOR = 'demo-operator-token-0001';

function npmDemo(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, output: () => out };
}

/** Processes whose command line mentions `text` (ours only: the text is a fresh temp path). */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-fa', text], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('npm run demo', () => {
  const prefix = `{swdemo-${randomBytes(4).toString('hex')}}`;
  afterAll(async () => {
    const redis = new Redis();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('refuses a taken port, naming it and the flag', async () => {
    const taken = await freePort();
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(taken);
    try {
      const demo = npmDemo(['--mqtt-port', String(taken), '--http-port', String(await freePort()), '--data-dir', tempDir()], { STREETWATCH_REDIS_PREFIX: prefix });
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toContain(`port ${taken} (MQTT broker) is already in use; choose another with --mqtt-port <port>`);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('turns the parked vehicles into work orders within about a minute, serves the console, and stops cleanly', async () => {
    const dir = tempDir('sw-demo-e2e-');
    const clip = makeClip(join(dir, 'demo-clip.avi'), { seconds: 45 });
    const httpPort = await freePort();
    const api = `http://127.0.0.1:${httpPort}`;
    const demo = npmDemo(['--mqtt-port', String(await freePort()), '--http-port', String(httpPort), '--data-dir', join(dir, 'data'), '--video', clip], { STREETWATCH_REDIS_PREFIX: prefix });
    try {
      await waitFor(() => demo.output().includes('StreetWatch demo running'), `the demo to start (${demo.output()})`, 60_000);
      expect(demo.output()).toContain(`console:  ${api}`);
      expect(demo.output()).toContain(OPERATOR);

      const orders = await waitFor(async () => {
        const res = await fetch(`${api}/api/orders`, { headers: { authorization: `Bearer ${OPERATOR}` } });
        const body = (await res.json()) as { items: { type: string; zoneId: string; state: string }[] };
        return body.items.length > 0 ? body.items : null;
      }, 'a work order from the demo', 120_000);
      expect(orders[0]).toMatchObject({ type: 'illegal_parking', zoneId: 'kerb' });
      await waitFor(() => demo.output().includes('team received order: work order'), 'the team receiving the order');

      const page = await fetch(`${api}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(processesWith(clip).some((p) => p.includes('ffmpeg'))).toBe(true);
    } finally {
      process.kill(-demo.child.pid!, 'SIGINT'); // the process group, as a terminal's Ctrl-C does
    }
    // npm itself dies of the SIGINT; the demo under it shuts down in order and says so.
    await demo.exited;
    await waitFor(() => demo.output().includes('[demo] stopped'), `the demo to stop (${demo.output().slice(-2000)})`, 30_000);
    await waitFor(() => processesWith(clip).length === 0, 'ffmpeg and the demo to exit'); // no orphans
  }, 200_000);
});

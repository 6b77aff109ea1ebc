import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../cli/ports.js';
import { makeClip, YOLOX_NANO } from '../../test/fixtures.js';
import { CLI } from '../../test/helpers/processes.js';
import { assessHealth, startHeartbeat, stuckAfterMs, type CameraProgress, type CameraSample } from './systemd-notify.js';

const quiet = pino({ level: 'silent' });
const cam = (over: Partial<CameraSample> = {}): CameraSample => ({
  cameraId: 'cam-1', state: 'connected', frames: 0, watchdogSeconds: 10, reconnectMaxMs: 30_000, ...over,
});

/** Runs assessHealth over a sequence of (time, samples), feeding progress forward; returns the verdicts. */
function run(steps: [number, CameraSample[]][]) {
  let progress: ReadonlyMap<string, CameraProgress> = new Map();
  return steps.map(([now, samples]) => {
    const v = assessHealth(samples, progress, now);
    progress = v.progress;
    return v;
  });
}

describe('stuckAfterMs', () => {
  it('is twice the stall watchdog plus the longest retry delay, and at least a minute', () => {
    expect(stuckAfterMs({ watchdogSeconds: 10, reconnectMaxMs: 30_000 })).toBe(80_000);
    expect(stuckAfterMs({ watchdogSeconds: 1, reconnectMaxMs: 1000 })).toBe(60_000);
  });
});

describe('assessHealth', () => {
  it('is healthy while frames keep coming, however long', () => {
    const steps: [number, CameraSample[]][] = [];
    for (let t = 0; t <= 600_000; t += 30_000) steps.push([t, [cam({ frames: t / 100 })]]);
    expect(run(steps).every((v) => v.healthy)).toBe(true);
  });

  it('calls a connected camera without frames stuck only after stuckAfterMs', () => {
    const [, atLimit, past] = run([[0, [cam({ frames: 5 })]], [80_000, [cam({ frames: 5 })]], [80_001, [cam({ frames: 5 })]]]);
    expect(atLimit.healthy).toBe(true);
    expect(past).toMatchObject({ healthy: false, stuck: ['cam-1'] });
  });

  it('counts a source working through its reconnect back-off as progress', () => {
    const states = ['connecting', 'reconnecting', 'connecting', 'stalled', 'reconnecting'] as const;
    const verdicts = run(states.map((state, i) => [i * 70_000, [cam({ state })]]));
    expect(verdicts.every((v) => v.healthy)).toBe(true);
  });

  it('calls a reconnect loop that stopped moving stuck', () => {
    const verdicts = run([[0, [cam({ state: 'reconnecting' })]], [90_000, [cam({ state: 'reconnecting' })]]]);
    expect(verdicts[1].stuck).toEqual(['cam-1']);
  });

  it('never calls disabled, ended or failed cameras stuck', () => {
    const idle = [cam({ cameraId: 'a', state: 'disabled' }), cam({ cameraId: 'b', state: 'ended' }), cam({ cameraId: 'c', state: 'error' })];
    expect(run([[0, idle], [3_600_000, idle]])[1].healthy).toBe(true);
  });

  it('names only the stuck camera, and recovers when it moves again', () => {
    const verdicts = run([
      [0, [cam({ cameraId: 'a', frames: 1 }), cam({ cameraId: 'b', frames: 1 })]],
      [100_000, [cam({ cameraId: 'a', frames: 900 }), cam({ cameraId: 'b', frames: 1 })]],
      [101_000, [cam({ cameraId: 'a', frames: 910 }), cam({ cameraId: 'b', frames: 2 })]],
    ]);
    expect(verdicts.map((v) => v.stuck)).toEqual([[], ['b'], []]);
  });
});

describe('startHeartbeat', () => {
  const dirs: string[] = [];
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'sw-heartbeat-'));
    dirs.push(d);
    return d;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('does nothing without NOTIFY_SOCKET or a health file: no beat ever looks at the cameras', async () => {
    let looked = 0;
    const hb = startHeartbeat({ cameras: () => (looked++, [cam()]), logger: quiet, env: {}, fileBeatMs: 10 });
    await sleep(100);
    await hb.stop();
    expect(looked).toBe(0);
  });

  it('rewrites the health file while healthy and leaves it alone while stuck', async () => {
    const file = join(tempDir(), 'sub', 'healthy');
    let now = Date.parse('2026-01-05T08:00:00.000Z');
    let beats = 0; // the heartbeat looks at the cameras once per beat
    const cameras = () => {
      beats++;
      return [cam({ frames: 3 })];
    };
    const hb = startHeartbeat({ cameras, logger: quiet, env: { STREETWATCH_HEALTH_FILE: file }, clock: () => now, fileBeatMs: 20 });
    const afterBeats = async (n: number) => {
      const target = beats + n;
      for (let i = 0; i < 500 && beats < target; i++) await sleep(10);
      await sleep(20); // the last beat's write
    };
    await afterBeats(2);
    expect(readFileSync(file, 'utf8')).toBe('2026-01-05T08:00:00.000Z\n');
    now += 90_000; // frames frozen for longer than stuckAfterMs
    await afterBeats(3);
    expect(readFileSync(file, 'utf8')).toBe('2026-01-05T08:00:00.000Z\n');
    await hb.stop();
  });

  /** A real unix datagram socket, as systemd listens on: python prints each datagram on one line (newlines as |). */
  const notifySocket = async () => {
    const socket = join(tempDir(), 'notify');
    const py = spawn('python3', ['-u', '-c', [
      'import socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      's.bind(sys.argv[1])',
      'print("bound")',
      'while True: print(s.recv(4096).decode().replace("\\n", "|"))',
    ].join('\n'), socket]);
    children.push(py);
    const lines: string[] = [];
    // systemd-notify follows each message with BARRIER=1 (it waits until the receiver took it): not ours.
    await new Promise<void>((ok) => createInterface({ input: py.stdout }).on('line', (l) => {
      if (l === 'bound') ok();
      else if (l !== 'BARRIER=1') lines.push(l);
    }));
    expect(existsSync(socket)).toBe(true);
    return { socket, lines };
  };

  const haveTools = ['systemd-notify', 'python3'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
  const skipped = haveTools ? '' : ' (skipped: needs systemd-notify and python3)';
  it.skipIf(!haveTools)(`sends READY=1, WATCHDOG=1 while healthy, STATUS when stuck, STOPPING=1 to a real NOTIFY_SOCKET${skipped}`, async () => {
    const { socket, lines } = await notifySocket();

    let now = 0;
    let frames = 0;
    const hb = startHeartbeat({
      cameras: () => [cam({ frames })], logger: quiet, clock: () => now,
      env: { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) },
    });
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 250 && !pred(); i++) await sleep(20);
      expect(pred()).toBe(true);
    };
    await waitFor(() => lines.filter((l) => l === 'WATCHDOG=1').length >= 3);
    expect(lines[0]).toBe('READY=1|STATUS=running');

    now += 90_000; // stuck: no more WATCHDOG=1
    await waitFor(() => lines.includes('STATUS=stuck: cam-1'));
    const afterStuck = lines.length;
    await sleep(200); // four beat periods
    expect(lines.slice(afterStuck).filter((l) => l.includes('WATCHDOG=1'))).toEqual([]);

    frames++; // progress again
    await waitFor(() => lines.includes('STATUS=running|WATCHDOG=1'));
    await hb.stop();
    await waitFor(() => lines.at(-1) === 'STOPPING=1');
  });

  it.skipIf(!haveTools)(`is wired into the real agent: \`edge run\` notifies systemd, keeps the health file, logs JSON with camera ids${skipped}`, async () => {
    const { socket, lines } = await notifySocket();
    const dir = tempDir();
    const config = join(dir, 'edge.yaml');
    writeFileSync(config, [
      'device: { id: pole-0001 }',
      `mqtt: { url: "mqtt://127.0.0.1:${await freePort()}" }`, // no broker: the agent spools
      `model: { path: ${YOLOX_NANO} }`,
      'plates: { enabled: false }',
      'privacy: { blurPlates: false }',
      `spool: { dir: ${join(dir, 'spool')} }`,
      `cameras: [{ id: cam-1, source: ${makeClip(join(dir, 'clip.avi'), { seconds: 3 })}, fps: 5 }]`,
    ].join('\n'));
    const healthFile = join(dir, 'healthy');
    const agent = spawn('node', [CLI, 'edge', 'run', '--config', config], {
      env: { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '1000000', STREETWATCH_HEALTH_FILE: healthFile, LOG_LEVEL: 'info' },
    });
    let stderr = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The clip has no loop: the agent stops by itself when it ends.
    const code = await new Promise<number | null>((done) => agent.on('exit', done));
    expect(code, stderr).toBe(0);
    expect(lines[0]).toBe('READY=1|STATUS=running');
    expect(lines).toContain('WATCHDOG=1');
    expect(lines.at(-1)).toBe('STOPPING=1');
    expect(existsSync(healthFile)).toBe(true);
    const logs = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.every((l) => l.deviceId === 'pole-0001')).toBe(true);
    expect(logs.find((l) => l.msg === 'video source connected')).toMatchObject({ cameraId: 'cam-1' });
  }, 30_000);
});

/**
 * The split deployment for `bench:center`: a private Mosquitto on a free 127.0.0.1 port and the
 * centre as two processes of the real CLI (`center --role ingest`, `center --role worker`), both on
 * that broker (`--mqtt-url`, MQTT 5 shared subscription) and a temp config file. Everything started
 * here is stopped by its pid in `close()`, and the temp dir (configs, evidence) removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
export const MOSQUITTO = process.env.SW_BENCH_MOSQUITTO ?? (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');
const READY_MS = 20_000;
const STOP_MS = 10_000;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux. */
const CLK_TCK = 100;

/** CPU time (user + system, ms) a process has used so far, or null (not Linux, or gone). */
export function procCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Resident memory (MB) of a process now, or null (not Linux, or gone). */
export function procRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/** `mosquitto version 2.0.11`, or null when it is not installed. */
export function mosquittoVersion(): string | null {
  const r = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8', timeout: 3000 });
  return /mosquitto version \S+/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[0] ?? null;
}

interface Child {
  name: string;
  proc: ChildProcess;
  stdout: string;
  /** Last lines of stdout and stderr, for errors. */
  tail: string[];
  exited: boolean;
  exit: Promise<void>;
}

function startChild(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const c: Child = { name, proc, stdout: '', tail: [], exited: false, exit: Promise.resolve() };
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      c.tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (c.tail.length > 12) c.tail.shift();
    }
  };
  proc.stdout!.on('data', (b: Buffer) => {
    if (c.stdout.length < 4096) c.stdout += b.toString('utf8');
    keep(b);
  });
  proc.stderr!.on('data', keep);
  c.exit = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      c.exited = true;
      c.tail.push(`(exited: ${signal ?? code})`);
      resolve();
    });
    proc.once('error', (err) => {
      c.exited = true;
      c.tail.push(`(failed to start: ${err.message})`);
      resolve();
    });
  });
  return c;
}

const describe = (c: Child) => `${c.name} (pid ${c.proc.pid ?? '-'}): ${c.tail.join(' | ') || 'no output'}`;

/** SIGTERM by pid, SIGKILL after STOP_MS; bounded either way. */
async function stopChild(c: Child): Promise<void> {
  if (c.exited || c.proc.pid === undefined) return;
  c.proc.kill('SIGTERM');
  await Promise.race([c.exit, sleep(STOP_MS)]);
  if (c.exited) return;
  c.proc.kill('SIGKILL');
  await Promise.race([c.exit, sleep(2000)]);
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 10; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (port !== 1883) return port;
  }
  throw new Error('no free port');
}

const canConnect = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect({ port, host: '127.0.0.1' });
  s.once('connect', () => {
    s.destroy();
    resolve(true);
  });
  s.once('error', () => resolve(false));
});

export interface SplitOptions {
  /** The centre config minus `mqtt` and `dataDir` (filled in here); written as JSON. */
  config: Record<string, unknown>;
  /** `center --role ingest` processes sharing the subscription; default 1. */
  ingests?: number;
  /** Extra mosquitto.conf lines. */
  brokerConf?: string[];
}

export interface SplitDeployment {
  mqttUrl: string;
  /** pid of each process, by name: mosquitto, ingest, worker. */
  pids: [string, number | undefined][];
  /** Throws, with the process's last output, when one of them has died. */
  check(): void;
  close(): Promise<void>;
}

export async function startSplit(opts: SplitOptions): Promise<SplitDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-split-'));
  const children: Child[] = [];
  const close = async () => {
    // Centre processes first (the ingest unsubscribes from the broker), the broker last.
    await Promise.all(children.filter((c) => c.name !== 'mosquitto').map(stopChild));
    await Promise.all(children.filter((c) => c.name === 'mosquitto').map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // Unlimited: the default of 1000 drops QoS 1 messages queued for a lagging ingest.
      'max_queued_messages 0',
      // No broker limit; the ingest's MQTT 5 receive maximum (65535) still applies.
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(opts.brokerConf ?? []),
      '',
    ].join('\n'));
    const broker = startChild('mosquitto', MOSQUITTO, ['-c', conf], process.env);
    children.push(broker);
    const up = Date.now() + 5000;
    while (!(await canConnect(port))) {
      if (broker.exited || Date.now() > up) throw new Error(`mosquitto did not start: ${describe(broker)}`);
      await sleep(50);
    }
    const mqttUrl = `mqtt://127.0.0.1:${port}`;

    const cfgFile = join(dir, 'center.json');
    writeFileSync(cfgFile, JSON.stringify({ ...opts.config, dataDir: join(dir, 'data'), mqtt: { url: mqttUrl, host: '127.0.0.1' } }, null, 2));
    const env = { ...process.env, LOG_LEVEL: 'warn' };
    const ingests = Math.max(1, opts.ingests ?? 1);
    const roles = [...Array.from({ length: ingests }, (_, i) => ['ingest', ingests > 1 ? `ingest${i + 1}` : 'ingest']), ['worker', 'worker']];
    for (const [role, name] of roles) {
      children.push(startChild(name, process.execPath, [
        ...(process.env.SW_BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, 'center', '--config', cfgFile, '--role', role, '--instance', `bench-${name}`, '--mqtt-url', mqttUrl, '--http-port', '0',
      ], env));
    }
    const until = Date.now() + READY_MS;
    for (const c of children.filter((x) => x.name !== 'mosquitto')) {
      while (!c.stdout.includes('StreetWatch centre running')) {
        if (c.exited || Date.now() > until) throw new Error(`${c.name} did not start: ${describe(c)}`);
        await sleep(50);
      }
    }
    return {
      mqttUrl,
      pids: children.map((c) => [c.name, c.proc.pid]),
      check: () => {
        const dead = children.find((c) => c.exited);
        if (dead) throw new Error(`${dead.name} died: ${describe(dead)}`);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
